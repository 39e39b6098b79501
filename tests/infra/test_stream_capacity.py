"""Scale past one machine (issue 13): the stream's capacity mode is a parameter (PROVISIONED with ShardCount, or
ON_DEMAND), and the consumer service scales on the aggregator's lag, between the tasks at rest and the shard count
(one KCL lease is one shard). Checked on the template, with cfn-lint for each mode."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from consumers.deploy.templates import infra_dir, load_template

STREAMING = "streaming.yaml"


def _resources() -> dict[str, Any]:
    return load_template(STREAMING).resources


def test_stream_mode_is_a_parameter_and_shard_count_only_applies_provisioned() -> None:
    params = load_template(STREAMING).document["Parameters"]
    assert params["StreamMode"]["AllowedValues"] == ["PROVISIONED", "ON_DEMAND"]
    assert params["StreamMode"]["Default"] == "PROVISIONED"
    stream = _resources()["MetricsStream"]["Properties"]
    assert stream["StreamModeDetails"] == {"StreamMode": {"Ref": "StreamMode"}}
    assert stream["ShardCount"] == {"Fn::If": ["OnDemand", {"Ref": "AWS::NoValue"}, {"Ref": "ShardCount"}]}
    conditions = load_template(STREAMING).document["Conditions"]
    assert conditions["OnDemand"] == {"Fn::Equals": [{"Ref": "StreamMode"}, "ON_DEMAND"]}


def test_consumer_scales_between_tasks_at_rest_and_the_shard_count() -> None:
    target = _resources()["ConsumerScalableTarget"]["Properties"]
    assert target["MinCapacity"] == {"Ref": "ConsumerTasks"}
    assert target["MaxCapacity"] == {
        "Fn::If": [
            "HasMaxConsumerTasks",
            {"Ref": "MaxConsumerTasks"},
            {"Fn::If": ["OnDemand", 4, {"Ref": "ShardCount"}]},
        ]
    }


@pytest.mark.parametrize(
    ("alarm", "policy", "threshold", "comparison", "step"),
    [
        ("ConsumerLagHighAlarm", "ConsumerLagScaleOut", "ConsumerLagScaleOutMs", "GreaterThanThreshold", 1),
        ("ConsumerLagLowAlarm", "ConsumerLagScaleIn", "ConsumerLagScaleInMs", "LessThanThreshold", -1),
    ],
)
def test_lag_alarm_drives_a_step_scaling_policy(
    alarm: str, policy: str, threshold: str, comparison: str, step: int
) -> None:
    resources = _resources()
    props = resources[alarm]["Properties"]
    (query,) = [m["Expression"] for m in props["Metrics"] if m.get("ReturnData")]
    assert "MAX(MillisBehindLatest)" in json.dumps(query) and "${Prefix}-aggregator" in json.dumps(query)
    assert props["Threshold"] == {"Ref": threshold}
    assert props["ComparisonOperator"] == comparison
    assert props["AlarmActions"] == [{"Ref": policy}]
    assert resources[alarm]["Condition"] == resources[policy]["Condition"] == "CreateConsumer"
    scaling = resources[policy]["Properties"]
    assert scaling["PolicyType"] == "StepScaling"
    assert scaling["ScalableDimension"] == "ecs:service:DesiredCount"
    assert scaling["ResourceId"] == resources["ConsumerScalableTarget"]["Properties"]["ResourceId"]
    (adjustment,) = scaling["StepScalingPolicyConfiguration"]["StepAdjustments"]
    assert adjustment["ScalingAdjustment"] == step


def test_cpu_tracking_never_scales_in_against_the_lag() -> None:
    config = _resources()["ConsumerCpuScaling"]["Properties"]["TargetTrackingScalingPolicyConfiguration"]
    assert config["DisableScaleIn"] is True


@pytest.mark.parametrize("mode", ["PROVISIONED", "ON_DEMAND"])
def test_cfn_lint_is_clean_in_each_mode(mode: str, tmp_path: Path) -> None:
    """The template with the mode as its default (cfn-lint checks the resources that mode resolves to)."""
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner import Runner

    text = (infra_dir() / STREAMING).read_text()
    assert text.count("    Default: PROVISIONED\n") == 1
    path = tmp_path / STREAMING
    path.write_text(text.replace("    Default: PROVISIONED\n", f"    Default: {mode}\n"))
    problems = [f"{m.rule.id} {m.message}" for m in Runner(ConfigMixIn(["--", str(path)])).run()]
    assert problems == []


@pytest.mark.emulator
def test_an_on_demand_stream_deploys_and_carries_records(emulator: Any) -> None:
    """`-p streaming.StreamMode=ON_DEMAND` through the deployer onto the emulator: the stream is on-demand (no
    ShardCount sent), takes records, and the consumer's task count is derived without a shard count."""
    from consumers.aws import AwsTarget
    from consumers.deploy import deploy
    from consumers.deploy.stacks import DeployOptions
    from tests.infra.conftest import unique_names

    target = AwsTarget(endpoint_url=emulator.url, region="us-east-1")
    names = unique_names("od")
    options = DeployOptions(parameters={"streaming": {"StreamMode": "ON_DEMAND"}})
    result = deploy(target, names, ["streaming"], options=options)
    assert result.stack("streaming").outputs["StreamName"] == names.stream
    kinesis = target.client("kinesis")
    summary = kinesis.describe_stream_summary(StreamName=names.stream)["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"]["StreamMode"] == "ON_DEMAND"
    assert summary["OpenShardCount"] >= 1
    put = kinesis.put_records(
        StreamName=names.stream, Records=[{"Data": b"x", "PartitionKey": str(i)} for i in range(9)]
    )
    assert put.get("FailedRecordCount", 0) == 0
