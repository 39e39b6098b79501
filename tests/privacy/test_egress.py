"""Task and Lambda egress: only to the VPC endpoints (interface endpoints' security group, the S3 and DynamoDB
gateway prefix lists) when the VPC has them; 0.0.0.0/0:443 only when it has not (traffic then goes through NAT)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from consumers.aws import AwsTarget
from consumers.config import Names
from consumers.deploy.stacks import STACKS, DeployOptions, PrepareContext
from consumers.deploy.templates import load_template

GROUPS = {"streaming.yaml": "ConsumerSecurityGroup", "dashboard.yaml": "WidgetSecurityGroup"}


@pytest.mark.parametrize(("file", "group"), list(GROUPS.items()))
def test_egress_is_limited_to_the_endpoints_when_they_exist(file: str, group: str) -> None:
    template = load_template(file)
    egress = template.resources[group]["Properties"]["SecurityGroupEgress"]
    condition, narrow, wide = egress["Fn::If"]
    assert condition == "EgressThroughEndpoints"
    assert all(rule.get("CidrIp") is None and rule["FromPort"] == rule["ToPort"] == 443 for rule in narrow)
    assert {"Ref": "EndpointSecurityGroupId"} in [r.get("DestinationSecurityGroupId") for r in narrow]
    assert {"Ref": "DynamoDbPrefixListId"} in [r.get("DestinationPrefixListId") for r in narrow]
    assert [r["CidrIp"] for r in wide] == ["0.0.0.0/0"]
    cond = template.document["Conditions"]["EgressThroughEndpoints"]["Fn::And"]
    assert {"Fn::Equals": [{"Ref": "InterfaceEndpoints"}, "true"]} in cond
    spec = next(s for s in STACKS.values() if s.template_file == file)
    assert spec.inputs["InterfaceEndpoints"] == ("networking", "InterfaceEndpoints")
    assert spec.inputs["EndpointSecurityGroupId"] == ("networking", "EndpointSecurityGroupId")


def test_the_consumer_never_needs_sts_to_find_its_buckets() -> None:
    task = load_template("streaming.yaml").resources["ConsumerTaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    env = {e["Name"]: e["Value"] for e in task["Environment"]}
    assert env["CCSTREAM_DEADLETTER_BUCKET"] == {"Ref": "DeadLetterBucket"}
    assert env["CCSTREAM_LAKE_BUCKET"] == {"Fn::Sub": "${Prefix}-lake-${AWS::AccountId}-${AWS::Region}"}


@pytest.mark.emulator
def test_deploy_looks_up_the_gateway_prefix_lists(aws: AwsTarget) -> None:
    ctx = PrepareContext(
        target=aws,
        names=Names(prefix=f"eg{uuid.uuid4().hex[:6]}"),
        options=DeployOptions(),
        caller_arn="arn:aws:iam::123456789012:user/deployer",
        current_parameters={"CreateLogGroup": "true", "CreateEventsLogGroup": "true"},
        client=aws.client,
        progress=lambda _l: None,
    )
    expected: dict[str, Any] = {
        p["PrefixListName"].rsplit(".", 1)[1]: p["PrefixListId"]
        for p in aws.client("ec2").describe_managed_prefix_lists()["PrefixLists"]
        if p["PrefixListName"] in (f"com.amazonaws.{aws.region}.s3", f"com.amazonaws.{aws.region}.dynamodb")
    }
    for stack in ("streaming", "dashboard"):
        prepare = STACKS[stack].prepare
        assert prepare is not None
        got = prepare(ctx)
        assert got["DynamoDbPrefixListId"] == expected["dynamodb"]
        assert got["S3PrefixListId"] == expected["s3"]
