"""`deploy()`: the stacks in dependency order, through CloudFormation, plus the emulator gap-fill."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from consumers.aws import AwsTarget
from consumers.config import Names
from consumers.deploy.apply import (
    ChangeSetApplier,
    DirectApplier,
    StackRequest,
    StackWaiter,
    describe_stack,
    outputs_of,
    parameters_of,
)
from consumers.deploy.fill import FillContext, fill_stack
from consumers.deploy.preflight import caller_identity
from consumers.deploy.resolve import Resolver, StackContext
from consumers.deploy.result import DeployResult, StackResult
from consumers.deploy.stacks import (
    DeployOptions,
    PrepareContext,
    build_parameters,
    check_overrides,
    select_stacks,
)
from consumers.deploy.templates import Template, load_template

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    """Default progress sink: print nothing."""


def deploy(
    target: AwsTarget,
    names: Names,
    stacks: Iterable[str] | None = None,
    *,
    options: DeployOptions | None = None,
    progress: Progress | None = None,
    poll_s: float | None = None,
) -> DeployResult:
    """Deploy `stacks` (keys from `consumers.deploy.stacks.ORDER`; all when None) and return what happened.

    On AWS (no endpoint) each stack goes through a change set; "no changes" is success. On an emulator the
    stack is created/updated directly and then everything its CloudFormation skipped is created through the
    service APIs. Idempotent: a second run reports every stack unchanged with nothing filled.
    """
    options = options or DeployOptions()
    say = progress or _quiet
    specs = select_stacks(stacks)
    check_overrides(specs, options, lambda file_name: load_template(file_name).parameters)
    fill_ctx = FillContext(target=target)
    identity = caller_identity(fill_ctx.client("sts"), target)
    fill_ctx.account = identity["account"]
    cfn = fill_ctx.client("cloudformation")
    waiter = StackWaiter(cfn, poll_s=poll_s if poll_s is not None else (0.5 if target.is_emulator else 5.0))
    applier = DirectApplier(cfn, waiter) if target.is_emulator else ChangeSetApplier(cfn, waiter)
    known_outputs: dict[str, dict[str, str]] = {}

    def outputs_of_stack(key: str) -> Mapping[str, str] | None:
        if key not in known_outputs:
            description = describe_stack(cfn, f"{names.prefix}-{key}")
            if description is None:
                return None
            known_outputs[key] = outputs_of(description)
        return known_outputs[key]

    where = target.endpoint_url or "AWS"
    say(f"deploying {', '.join(s.key for s in specs)} to {where} (account {identity['account']}, {target.region})")
    # Every stack's preflight runs before the first stack changes, so a missing certificate or Lake Formation
    # permission stops the deploy before anything is half done.
    prepared_of: dict[str, dict[str, str]] = {}
    for spec in specs:
        if spec.prepare is not None:
            description = describe_stack(cfn, spec.stack_name(names))
            current = parameters_of(description) if description is not None else None
            context = _prepare_context(target, names, options, identity, current, fill_ctx, say)
            prepared_of[spec.key] = spec.prepare(context)

    results: list[StackResult] = []
    for spec in specs:
        template = load_template(spec.template_file)
        name = spec.stack_name(names)
        description = describe_stack(cfn, name)
        current = parameters_of(description) if description is not None else None
        prepared = prepared_of.get(spec.key, {})
        parameters = build_parameters(spec, template.parameters, names, options, current, outputs_of_stack, prepared)
        request = StackRequest(
            name, template, parameters, tags={"ccstream:prefix": names.prefix, "project": "ccstream"}
        )
        applied = applier.apply(request, description, say)
        outputs = outputs_of(applied.description)
        known_outputs[spec.key] = outputs
        filled: list[str] = []
        if target.is_emulator:
            resolver = _resolver(cfn, template, applied.description, identity["account"], target.region)
            report = fill_stack(template, resolver, fill_ctx)
            filled = report.changes
            for line in filled:
                say(f"  filled {line}")
            for line in report.unavailable:
                say(f"  skipped {line}")
        say(f"{name}: {applied.action}{f', {len(filled)} gap(s) filled' if filled else ''}")
        results.append(StackResult(spec.key, name, applied.action, outputs, tuple(filled)))
    return DeployResult(
        account=identity["account"], region=target.region, endpoint_url=target.endpoint_url, stacks=tuple(results)
    )


def _prepare_context(
    target: AwsTarget,
    names: Names,
    options: DeployOptions,
    identity: Mapping[str, str],
    current: Mapping[str, str] | None,
    fill_ctx: FillContext,
    say: Progress,
) -> PrepareContext:
    return PrepareContext(
        target=target,
        names=names,
        options=options,
        caller_arn=identity["arn"],
        current_parameters=current,
        client=fill_ctx.client,
        progress=say,
    )


def _resolver(cfn: Any, template: Template, description: Mapping[str, Any], account: str, region: str) -> Resolver:
    stack_name = str(description["StackName"])
    resources = cfn.describe_stack_resources(StackName=stack_name)["StackResources"]
    physical_ids = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in resources
        if r.get("LogicalResourceId") and r.get("PhysicalResourceId")
    }
    context = StackContext(
        account=account,
        region=region,
        stack_name=stack_name,
        parameters=parameters_of(dict(description)),
        physical_ids=physical_ids,
    )
    return Resolver(template.document, context)
