"""The AWS path: change sets (create, no changes, update) and failures turned into errors with a fix."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from consumers.aws import AwsTarget
from consumers.deploy.apply import ChangeSetApplier, DeployFailed, StackRequest, StackWaiter, describe_stack
from consumers.deploy.result import StackAction
from consumers.deploy.templates import Template

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Days:
    Type: Number
    Default: 7
Resources:
  Group:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub /ccstream/test/${AWS::StackName}
      RetentionInDays: !Ref Days
"""


def _no_sleep(_: float) -> None:
    """Tests never wait on the clock."""


@pytest.fixture()
def template(tmp_path: Path) -> Template:
    path = tmp_path / "group.yaml"
    path.write_text(TEMPLATE, encoding="utf-8")
    return Template(path)


@pytest.mark.emulator
def test_create_then_no_changes_then_update(aws: AwsTarget, template: Template) -> None:
    cfn = aws.client("cloudformation")
    applier = ChangeSetApplier(cfn, StackWaiter(cfn, poll_s=0, sleep=_no_sleep))
    name = f"cs-{uuid.uuid4().hex[:8]}"
    lines: list[str] = []

    created = applier.apply(StackRequest(name, template, {"Days": "7"}), None, lines.append)
    same = applier.apply(StackRequest(name, template, {"Days": "7"}), describe_stack(cfn, name), lines.append)
    changed = applier.apply(StackRequest(name, template, {"Days": "14"}), describe_stack(cfn, name), lines.append)

    assert (created.action, same.action, changed.action) == (
        StackAction.CREATED,
        StackAction.UNCHANGED,
        StackAction.UPDATED,
    )
    assert any("Group (AWS::Logs::LogGroup)" in line for line in lines)  # the change set's changes are shown
    # moto applies the change set to the stack (not to the log group's retention): check the stack's parameters.
    (stack,) = cfn.describe_stacks(StackName=name)["Stacks"]
    assert [(p["ParameterKey"], p["ParameterValue"]) for p in stack["Parameters"]] == [("Days", "14")]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"


class RollingBackCloudFormation:
    """Just enough of a CloudFormation client for a create that rolls back because of Lake Formation."""

    def __init__(self) -> None:
        self.status = "REVIEW_IN_PROGRESS"
        self.events: list[dict[str, Any]] = []

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        return {"Stacks": [{"StackName": StackName, "StackStatus": self.status}]}

    def create_change_set(self, **_: Any) -> dict[str, str]:
        return {"Id": "cs-1"}

    def describe_change_set(self, ChangeSetName: str) -> dict[str, Any]:
        return {"Status": "CREATE_COMPLETE", "Changes": []}

    def describe_stack_events(self, StackName: str) -> dict[str, Any]:
        return {"StackEvents": list(reversed(self.events))}

    def execute_change_set(self, ChangeSetName: str) -> None:
        reason = "Insufficient Lake Formation permission(s): Required Create Database on Catalog"
        self.events = [
            {"EventId": "1", "ResourceStatus": "CREATE_IN_PROGRESS", "LogicalResourceId": "LakeDatabase"},
            {
                "EventId": "2",
                "ResourceStatus": "CREATE_FAILED",
                "LogicalResourceId": "LakeDatabase",
                "ResourceType": "AWS::Glue::Database",
                "ResourceStatusReason": reason,
            },
            {
                "EventId": "3",
                "ResourceStatus": "CREATE_FAILED",
                "LogicalResourceId": "Workgroup",
                "ResourceType": "AWS::Athena::WorkGroup",
                "ResourceStatusReason": "Resource creation cancelled",
            },
        ]
        self.status = "ROLLBACK_COMPLETE"


def test_a_rolled_back_stack_raises_with_the_failed_resource_and_the_fix(template: Template) -> None:
    cfn = RollingBackCloudFormation()
    applier = ChangeSetApplier(cfn, StackWaiter(cfn, poll_s=0, sleep=_no_sleep))
    lines: list[str] = []

    with pytest.raises(DeployFailed) as failure:
        applier.apply(StackRequest("cc-analytics", template, {}), None, lines.append)

    message = str(failure.value)
    assert "cc-analytics ended ROLLBACK_COMPLETE" in message
    assert "LakeDatabase (AWS::Glue::Database): Insufficient Lake Formation permission" in message
    assert "Workgroup" not in message  # cancelled because of the other failure: noise
    assert "fix:" in message and "lakeformation grant-permissions" in message
    assert any("CREATE_FAILED" in line and "LakeDatabase" in line for line in lines)  # progress streamed


def test_a_stack_left_in_rollback_complete_must_be_deleted_first(template: Template) -> None:
    cfn = RollingBackCloudFormation()
    applier = ChangeSetApplier(cfn, StackWaiter(cfn, poll_s=0, sleep=_no_sleep))
    with pytest.raises(DeployFailed, match="aws cloudformation delete-stack --stack-name cc-x"):
        applier.apply(StackRequest("cc-x", template, {}), {"StackStatus": "ROLLBACK_COMPLETE"}, print)
