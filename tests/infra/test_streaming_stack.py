"""Deploy infra/streaming.yaml to the embedded emulator and check every resource through its service API."""

from __future__ import annotations

import ast
import gzip
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from consumers.aws import AwsTarget
from consumers.config import Names
from consumers.deploy import DeployResult, StackAction, deploy
from consumers.deploy.templates import load_template
from consumers.emulator import EmbeddedEmulator
from schemas.keys import GSIS, PK, SK, TTL
from tests.infra.conftest import unique_names

pytestmark = [pytest.mark.emulator, pytest.mark.filterwarnings("ignore:.*moto's CloudFormation")]

ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"


@pytest.fixture(scope="module")
def deployed(emulator: EmbeddedEmulator) -> Iterator[tuple[AwsTarget, Names, DeployResult]]:
    target = AwsTarget(endpoint_url=emulator.url, region=REGION)
    names = unique_names("st")
    yield target, names, deploy(target, names, ["streaming"])


def test_first_deploy_creates_the_stack_and_fills_what_moto_skips(deployed: Any) -> None:
    _, names, result = deployed
    stack = result.stack("streaming")
    assert stack.stack_name == f"{names.prefix}-streaming"
    assert stack.action is StackAction.CREATED
    filled = " ".join(stack.filled)
    for skipped in ("SubscriptionFilter", "TTL", "point-in-time", "versioning", "public access", "lifecycle"):
        assert skipped in filled


def test_outputs_use_the_shared_names(deployed: Any) -> None:
    _, names, result = deployed
    outputs = result.stack("streaming").outputs
    assert outputs["StreamName"] == names.stream == f"{names.prefix}-metrics"
    assert outputs["StreamArn"] == f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{names.prefix}-metrics"
    assert outputs["TableName"] == names.table
    assert outputs["LogGroupName"] == names.log_group
    assert outputs["SubscriptionFilterName"] == names.subscription_filter == f"{names.prefix}-metrics-to-kinesis"
    assert outputs["DeadLetterBucket"] == names.deadletter_bucket(ACCOUNT, REGION)
    assert result.links()["stream"] == names.stream


def test_stream_has_two_shards_and_kms_encryption(deployed: Any) -> None:
    target, names, _ = deployed
    summary = target.client("kinesis").describe_stream_summary(StreamName=names.stream)["StreamDescriptionSummary"]
    assert summary["OpenShardCount"] == 2
    assert summary["EncryptionType"] == "KMS"
    assert summary["KeyId"] == "alias/aws/kinesis"
    assert summary["RetentionPeriodHours"] == 24


def test_table_keys_indexes_billing_ttl_and_recovery(deployed: Any) -> None:
    target, names, _ = deployed
    ddb = target.client("dynamodb")
    table = ddb.describe_table(TableName=names.table)["Table"]
    assert {(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]} == {(PK, "HASH"), (SK, "RANGE")}
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    indexes = {
        g["IndexName"]: (
            tuple(k["AttributeName"] for k in g["KeySchema"]),
            g["Projection"]["ProjectionType"],
        )
        for g in table["GlobalSecondaryIndexes"]
    }
    assert indexes == {name: (pair, "ALL") for name, pair in GSIS.items()}
    assert all(a["AttributeType"] == "S" for a in table["AttributeDefinitions"])
    ttl = ddb.describe_time_to_live(TableName=names.table)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", TTL)
    backups = ddb.describe_continuous_backups(TableName=names.table)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_subscription_filter_sends_everything_to_the_stream(deployed: Any) -> None:
    target, names, result = deployed
    outputs = result.stack("streaming").outputs
    filters = target.client("logs").describe_subscription_filters(logGroupName=names.log_group)["subscriptionFilters"]
    assert len(filters) == 1
    (only,) = filters
    assert only["filterName"] == names.subscription_filter
    assert only["destinationArn"] == outputs["StreamArn"]
    assert only["roleArn"] == outputs["SubscriptionRoleArn"]
    assert only["filterPattern"] == ""


def test_log_group_retention(deployed: Any) -> None:
    target, names, _ = deployed
    groups = target.client("logs").describe_log_groups(logGroupNamePrefix=names.log_group)["logGroups"]
    # The events log group's name starts with the metrics group's here (`Names.events_log_group`).
    assert [(g["logGroupName"], g["retentionInDays"]) for g in groups] == [
        (names.log_group, 30),
        (names.events_log_group, 30),
    ]


def test_events_have_their_own_subscription_and_stream(deployed: Any) -> None:
    target, names, result = deployed
    outputs = result.stack("streaming").outputs
    logs = target.client("logs")
    (only,) = logs.describe_subscription_filters(logGroupName=names.events_log_group)["subscriptionFilters"]
    assert only["filterName"] == names.events_subscription_filter
    assert outputs["EventsStreamName"] == names.events_stream != outputs["StreamName"]
    arn = target.client("kinesis").describe_stream_summary(StreamName=names.events_stream)["StreamDescriptionSummary"]
    assert only["destinationArn"] == arn["StreamARN"]
    assert (arn["OpenShardCount"], arn["EncryptionType"]) == (1, "KMS")
    assert only["roleArn"] == outputs["SubscriptionRoleArn"]
    assert only["filterPattern"] == ""


def test_subscription_role_may_only_put_into_the_two_streams(deployed: Any) -> None:
    target, _, result = deployed
    outputs = result.stack("streaming").outputs
    iam = target.client("iam")
    role_name = outputs["SubscriptionRoleArn"].rsplit("/", 1)[1]
    trust = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "logs.amazonaws.com"}]
    (policy_name,) = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    document = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
    if isinstance(document, str):  # moto returns policies created by CloudFormation as a Python repr
        document = ast.literal_eval(document)
    # moto keeps an `!If [..., !Ref AWS::NoValue]` list item as null; AWS drops it.
    metrics, events = [s for s in document["Statement"] if s]
    for statement in (metrics, events):
        assert sorted(statement["Action"]) == ["kinesis:PutRecord", "kinesis:PutRecords"]
    assert metrics["Resource"] == outputs["StreamArn"]
    assert events["Resource"] == outputs["StreamArn"].replace(outputs["StreamName"], outputs["EventsStreamName"])


def test_dead_letter_bucket_is_private_encrypted_versioned_and_expiring(deployed: Any) -> None:
    target, names, _ = deployed
    s3 = target.client("s3")
    bucket = names.deadletter_bucket(ACCOUNT, REGION)
    (rule,) = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    (lifecycle,) = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert lifecycle["Expiration"]["Days"] == 30
    assert lifecycle["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30
    # TLS-only: in the template (AWS applies it); the emulator gap filler leaves that statement out because the
    # emulator's endpoint is plain HTTP and moto would refuse every write (tests/infra/test_emulator_bucket_policy.py)
    template = load_template("streaming.yaml").resources["DeadLetterBucketPolicy"]["Properties"]
    (deny,) = template["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    s3.put_object(Bucket=bucket, Key="deadletter/probe.json", Body=b"{}")


def _records_of_stream(kinesis: Any, stream: str) -> list[bytes]:
    found: list[bytes] = []
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        found += [r["Data"] for r in kinesis.get_records(ShardIterator=iterator, Limit=1000)["Records"]]
    return found


def test_log_events_reach_kinesis_as_subscription_envelopes(deployed: Any) -> None:
    target, names, _ = deployed
    logs = target.client("logs")
    logs.create_log_stream(logGroupName=names.log_group, logStreamName="otel-stream-test")
    line = json.dumps({"_aws": {"Timestamp": 1755785100000}, "claude_code.token.usage": 7, "probe": names.prefix})
    logs.put_log_events(
        logGroupName=names.log_group,
        logStreamName="otel-stream-test",
        logEvents=[{"timestamp": int(time.time() * 1000), "message": line}],
    )
    records = _records_of_stream(target.client("kinesis"), names.stream)
    envelopes = [json.loads(gzip.decompress(data)) for data in records]
    data_messages = [e for e in envelopes if e["messageType"] == "DATA_MESSAGE"]
    assert len(data_messages) == 1
    (envelope,) = data_messages
    assert envelope["logGroup"] == names.log_group
    assert envelope["subscriptionFilters"] == [names.subscription_filter]
    assert [e["message"] for e in envelope["logEvents"]] == [line]
