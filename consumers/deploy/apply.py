"""Create or update one CloudFormation stack, wait for it, and report progress.

Two ways, one result (`StackAction`):
  * `ChangeSetApplier` (AWS): a change set, its changes printed, executed, stack events streamed while waiting;
    "no changes" is success.
  * `DirectApplier` (emulators): CreateStack / UpdateStack. moto executes change sets but never renders the
    stack's Outputs afterwards, and the deployer needs them to wire stacks together.
"""

from __future__ import annotations

import ast
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from consumers.deploy.hints import fix_for
from consumers.deploy.result import StackAction
from consumers.deploy.templates import Template
from consumers.errors import CcstreamError

Progress = Callable[[str], None]

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]
_NO_CHANGES = ("didn't contain changes", "No updates are to be performed")
_SUCCEEDED = {"CREATE_COMPLETE", "UPDATE_COMPLETE"}
_NEEDS_DELETE = {"ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_FAILED"}
_CREATE_STATES = {None, "REVIEW_IN_PROGRESS", "DELETE_COMPLETE"}


class DeployFailed(CcstreamError):
    """CloudFormation refused or rolled back a stack; the message carries the reasons and a fix."""


@dataclass(frozen=True)
class StackRequest:
    """One stack to deploy: its name, template and parameter values."""

    stack_name: str
    template: Template
    parameters: dict[str, str]
    tags: dict[str, str] = field(default_factory=dict)

    def cfn_parameters(self) -> list[dict[str, str]]:
        return [{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(self.parameters.items())]

    def cfn_tags(self) -> list[dict[str, str]]:
        return [{"Key": k, "Value": v} for k, v in sorted(self.tags.items())]


@dataclass(frozen=True)
class Applied:
    """What an applier did, and the stack's description afterwards."""

    action: StackAction
    description: dict[str, Any]


def describe_stack(cfn: Any, stack_name: str) -> dict[str, Any] | None:
    """The stack's description (status, parameters, outputs), or None when it does not exist."""
    try:
        stacks = cfn.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise
    return dict(stacks[0]) if stacks else None


def status_of(description: dict[str, Any] | None) -> str | None:
    return None if description is None else str(description["StackStatus"])


def outputs_of(description: dict[str, Any] | None) -> dict[str, str]:
    outputs = (description or {}).get("Outputs") or []
    return {o["OutputKey"]: str(o["OutputValue"]) for o in outputs}


def parameters_of(description: dict[str, Any] | None) -> dict[str, str]:
    parameters = (description or {}).get("Parameters") or []
    return {p["ParameterKey"]: _list_as_text(str(p.get("ParameterValue", ""))) for p in parameters}


def _list_as_text(value: str) -> str:
    """moto reports List<...> parameters as a Python repr ("['a', 'b']"); CloudFormation as "a,b"."""
    if value.startswith("[") and value.endswith("]"):
        with contextlib.suppress(ValueError, SyntaxError):
            items = ast.literal_eval(value)
            if isinstance(items, list) and all(isinstance(i, str) for i in items):
                return ",".join(items)
    return value


def _refuse_unusable(stack_name: str, status: str | None) -> None:
    if status in _NEEDS_DELETE:
        raise DeployFailed(
            f"stack {stack_name} is {status} (a failed first create or delete) and cannot be updated. "
            f"Look at its events, then delete it: aws cloudformation delete-stack --stack-name {stack_name}"
        )
    if status is not None and status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
        raise DeployFailed(f"stack {stack_name} is busy ({status}); wait for it to finish and deploy again.")


@dataclass
class StackWaiter:
    """Polls a stack until it leaves *_IN_PROGRESS, printing each new stack event once."""

    cfn: Any
    poll_s: float = 5.0
    timeout_s: float = 3600.0
    heartbeat_s: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    _seen: set[str] = field(default_factory=set)

    def remember_existing_events(self, stack_name: str) -> None:
        for event in self._events(stack_name):
            self._seen.add(event["EventId"])

    def _events(self, stack_name: str) -> list[dict[str, Any]]:
        try:
            return list(self.cfn.describe_stack_events(StackName=stack_name)["StackEvents"])
        except ClientError:
            return []

    def report_new_events(self, stack_name: str, progress: Progress) -> list[dict[str, Any]]:
        fresh = [e for e in self._events(stack_name) if e["EventId"] not in self._seen]
        for event in reversed(fresh):  # the API lists newest first
            self._seen.add(event["EventId"])
            reason = f" — {event['ResourceStatusReason']}" if event.get("ResourceStatusReason") else ""
            progress(
                f"  {event.get('ResourceStatus', '?'):<28} {event.get('LogicalResourceId', '?')} "
                f"({event.get('ResourceType', '?')}){reason}"
            )
        return fresh

    def wait(self, stack_name: str, progress: Progress) -> dict[str, Any]:
        """Poll until the stack settles; its final description, or DeployFailed with the failure reasons."""
        started = last_news = time.monotonic()
        failures: list[dict[str, Any]] = []
        while True:
            description = describe_stack(self.cfn, stack_name)
            status = status_of(description)
            fresh = self.report_new_events(stack_name, progress)
            failures += [e for e in fresh if _is_failure(e)]
            if status is None or not status.endswith("_IN_PROGRESS"):
                break
            now = time.monotonic()
            if fresh:
                last_news = now
            elif now - last_news >= self.heartbeat_s:
                progress(f"  … {stack_name} still {status} ({now - started:.0f}s)")
                last_news = now
            if now - started > self.timeout_s:
                raise DeployFailed(f"stack {stack_name} still {status} after {self.timeout_s:.0f}s; check the console")
            self.sleep(self.poll_s)
        if description is None or status not in _SUCCEEDED:
            raise DeployFailed(_failure_message(stack_name, status, failures))
        return description


def _is_failure(event: dict[str, Any]) -> bool:
    return str(event.get("ResourceStatus", "")).endswith("_FAILED")


def _failure_message(stack_name: str, status: str | None, failures: list[dict[str, Any]]) -> str:
    lines = [f"stack {stack_name} ended {status}"]
    reasons = []
    for event in failures:
        reason = str(event.get("ResourceStatusReason", ""))
        if "cancelled" in reason.lower() and len(failures) > 1:
            continue  # resources cancelled because another one failed: noise
        reasons.append(reason)
        lines.append(f"  {event.get('LogicalResourceId')} ({event.get('ResourceType')}): {reason}")
    hint = next((h for h in (fix_for(r) for r in reasons) if h), None)
    if hint:
        lines.append(f"fix: {hint}")
    return "\n".join(lines)


@dataclass
class ChangeSetApplier:
    """Deploys through change sets (real AWS)."""

    cfn: Any
    waiter: StackWaiter
    clock: Callable[[], float] = time.time

    def apply(self, request: StackRequest, current: dict[str, Any] | None, progress: Progress) -> Applied:
        name = request.stack_name
        status = status_of(current)
        _refuse_unusable(name, status)
        change_set_type = "CREATE" if status in _CREATE_STATES else "UPDATE"
        change_set_name = f"ccstream-{int(self.clock())}"
        progress(f"{name}: creating change set {change_set_name} ({change_set_type.lower()})")
        try:
            created = self.cfn.create_change_set(
                StackName=name,
                ChangeSetName=change_set_name,
                ChangeSetType=change_set_type,
                TemplateBody=request.template.body,
                Parameters=request.cfn_parameters(),
                Capabilities=CAPABILITIES,
                Tags=request.cfn_tags(),
            )
        except ClientError as exc:
            raise DeployFailed(_client_error_message(name, exc)) from exc
        change_set_id = created["Id"]
        described = self._wait_for_change_set(change_set_id)
        if described["Status"] == "FAILED":
            reason = str(described.get("StatusReason", ""))
            if any(marker in reason for marker in _NO_CHANGES):
                self.cfn.delete_change_set(ChangeSetName=change_set_id)
                progress(f"{name}: no changes")
                return Applied(StackAction.UNCHANGED, current or {})
            raise DeployFailed(_with_hint(f"change set for {name} failed: {reason}", reason))
        for change in described.get("Changes", []):
            rc = change.get("ResourceChange", {})
            progress(f"  {rc.get('Action', '?'):<8} {rc.get('LogicalResourceId', '?')} ({rc.get('ResourceType', '?')})")
        self.waiter.remember_existing_events(name)
        self.cfn.execute_change_set(ChangeSetName=change_set_id)
        progress(f"{name}: executing; waiting for CloudFormation")
        final = self.waiter.wait(name, progress)
        return Applied(StackAction.CREATED if change_set_type == "CREATE" else StackAction.UPDATED, final)

    def _wait_for_change_set(self, change_set_id: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.waiter.timeout_s
        while True:
            described: dict[str, Any] = self.cfn.describe_change_set(ChangeSetName=change_set_id)
            if described["Status"] in ("CREATE_COMPLETE", "FAILED"):
                return described
            if time.monotonic() > deadline:
                raise DeployFailed(f"change set {change_set_id} still {described['Status']}; check the console")
            self.waiter.sleep(self.waiter.poll_s)


@dataclass
class DirectApplier:
    """Deploys with CreateStack / UpdateStack (emulators)."""

    cfn: Any
    waiter: StackWaiter

    def apply(self, request: StackRequest, current: dict[str, Any] | None, progress: Progress) -> Applied:
        name = request.stack_name
        status = status_of(current)
        _refuse_unusable(name, status)
        common = {
            "StackName": name,
            "TemplateBody": request.template.body,
            "Parameters": request.cfn_parameters(),
            "Capabilities": CAPABILITIES,
            "Tags": request.cfn_tags(),
        }
        if current is not None and status not in _CREATE_STATES and self._is_current(request, current):
            progress(f"{name}: no changes")
            return Applied(StackAction.UNCHANGED, current)
        self.waiter.remember_existing_events(name)
        try:
            if status in _CREATE_STATES:
                progress(f"{name}: creating")
                self.cfn.create_stack(**common)
                action = StackAction.CREATED
            else:
                progress(f"{name}: updating")
                self.cfn.update_stack(**common)
                action = StackAction.UPDATED
        except ClientError as exc:
            if current is not None and any(marker in str(exc) for marker in _NO_CHANGES):
                progress(f"{name}: no changes")
                return Applied(StackAction.UNCHANGED, current)
            raise DeployFailed(_client_error_message(name, exc)) from exc
        return Applied(action, self.waiter.wait(name, progress))

    def _is_current(self, request: StackRequest, current: dict[str, Any]) -> bool:
        """Same template text and parameter values as deployed. moto's own check compares typed parameter
        values (30 vs "30") with the strings it receives, so it reports changes where there are none."""
        deployed_body = self.cfn.get_template(StackName=request.stack_name)["TemplateBody"]
        if not isinstance(deployed_body, str):  # botocore hands a JSON template back parsed
            deployed_body = json.dumps(deployed_body, separators=(",", ":"), ensure_ascii=False)
        if deployed_body != request.template.body:
            return False
        deployed = parameters_of(current)
        return all(deployed.get(k) == v for k, v in request.parameters.items())


def _client_error_message(stack_name: str, exc: ClientError) -> str:
    message = str(exc.response.get("Error", {}).get("Message", exc))
    return _with_hint(f"CloudFormation refused stack {stack_name}: {message}", message)


def _with_hint(message: str, reason: str) -> str:
    hint = fix_for(reason)
    return f"{message}\nfix: {hint}" if hint else message
