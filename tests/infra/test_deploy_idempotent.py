"""Deploying twice changes nothing; options given once are kept; an existing log group is adopted."""

from __future__ import annotations

from typing import Any

import pytest

from consumers.aws import AwsTarget
from consumers.config import Names
from consumers.deploy import DeployOptions, StackAction, deploy
from tests.infra.conftest import unique_names

pytestmark = [pytest.mark.emulator, pytest.mark.filterwarnings("ignore:.*moto's CloudFormation")]

ACCOUNT = "123456789012"


def _strip(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def snapshot(target: AwsTarget, names: Names) -> dict[str, Any]:
    """Everything the streaming stack configures, as the services report it."""
    kinesis, ddb, logs, s3 = (target.client(s) for s in ("kinesis", "dynamodb", "logs", "s3"))
    bucket = names.deadletter_bucket(ACCOUNT, target.region)
    return {
        "stream": _strip(kinesis.describe_stream_summary(StreamName=names.stream)),
        "shards": [s["ShardId"] for s in kinesis.list_shards(StreamName=names.stream)["Shards"]],
        "table": _strip(ddb.describe_table(TableName=names.table)),
        "ttl": _strip(ddb.describe_time_to_live(TableName=names.table)),
        "backups": _strip(ddb.describe_continuous_backups(TableName=names.table)),
        "filters": _strip(logs.describe_subscription_filters(logGroupName=names.log_group)),
        "groups": _strip(logs.describe_log_groups(logGroupNamePrefix=names.log_group)),
        "encryption": _strip(s3.get_bucket_encryption(Bucket=bucket)),
        "versioning": _strip(s3.get_bucket_versioning(Bucket=bucket)),
        "public": _strip(s3.get_public_access_block(Bucket=bucket)),
        "lifecycle": _strip(s3.get_bucket_lifecycle_configuration(Bucket=bucket)),
        "policy": _policy_or_none(s3, bucket),
    }


def _policy_or_none(s3: Any, bucket: str) -> Any:
    try:
        return _strip(s3.get_bucket_policy(Bucket=bucket))
    except s3.exceptions.ClientError:
        return None  # on the emulator the TLS-only policy is left out (plain-HTTP endpoint)


def test_second_deploy_reports_no_changes_and_leaves_resources_identical(aws: AwsTarget) -> None:
    names = unique_names("idem")
    first = deploy(aws, names, ["streaming"])
    assert first.changed
    before = snapshot(aws, names)

    second = deploy(aws, names, ["streaming"])

    assert not second.changed
    assert [(s.key, s.action, s.filled) for s in second.stacks] == [("streaming", StackAction.UNCHANGED, ())]
    assert second.stack("streaming").outputs == first.stack("streaming").outputs
    assert snapshot(aws, names) == before


def test_a_changed_option_updates_the_stack_and_is_kept_afterwards(aws: AwsTarget) -> None:
    names = unique_names("opt")
    deploy(aws, names, ["streaming"])

    updated = deploy(aws, names, ["streaming"], options=DeployOptions(shard_count=3))
    kept = deploy(aws, names, ["streaming"])  # no --shards: the deployed value stays, like `aws cloudformation deploy`

    assert updated.stack("streaming").action is StackAction.UPDATED
    assert kept.stack("streaming").action is StackAction.UNCHANGED
    summary = aws.client("kinesis").describe_stream_summary(StreamName=names.stream)["StreamDescriptionSummary"]
    assert summary["OpenShardCount"] == 3


def test_an_existing_log_group_is_used_not_recreated(aws: AwsTarget) -> None:
    names = unique_names("lg")
    logs = aws.client("logs")
    logs.create_log_group(logGroupName=names.log_group)  # as the collector does when it starts first
    progress: list[str] = []

    result = deploy(aws, names, ["streaming"], progress=progress.append)

    stack = aws.client("cloudformation").describe_stacks(StackName=result.stack("streaming").stack_name)["Stacks"][0]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert parameters["CreateLogGroup"] == "false"
    assert any("already exists" in line for line in progress)
    (only,) = logs.describe_subscription_filters(logGroupName=names.log_group)["subscriptionFilters"]
    assert only["filterName"] == names.subscription_filter
