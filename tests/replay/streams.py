"""Test helpers: a log group subscribed to a fresh 2-shard stream on the emulator, and reading it back."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from consumers.aws import AwsTarget


@dataclass(frozen=True)
class Pipeline:
    log_group: str
    stream: str
    logs: Any
    kinesis: Any


def make_pipeline(aws: AwsTarget, *, subscribe: bool = True, shards: int = 2) -> Pipeline:
    suffix = uuid.uuid4().hex[:10]
    logs, kinesis = aws.client("logs"), aws.client("kinesis")
    group, stream = f"/test/replay-{suffix}", f"replay-{suffix}"
    logs.create_log_group(logGroupName=group)
    kinesis.create_stream(StreamName=stream, ShardCount=shards)
    kinesis.get_waiter("stream_exists").wait(StreamName=stream, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
    if subscribe:
        arn = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamARN"]
        logs.put_subscription_filter(
            logGroupName=group,
            filterName="claude-code-metrics-to-kinesis",
            filterPattern="",
            destinationArn=arn,
            roleArn="arn:aws:iam::123456789012:role/cwl-to-kinesis",
            distribution="Random",
        )
    return Pipeline(group, stream, logs, kinesis)


def read_all(kinesis: Any, stream: str) -> list[dict[str, Any]]:
    """Every record of every shard (from TRIM_HORIZON), with `ShardId` added."""
    out: list[dict[str, Any]] = []
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = kinesis.get_records(ShardIterator=iterator, Limit=10_000)
            out.extend({**r, "ShardId": shard["ShardId"]} for r in page["Records"])
            if not page["Records"]:
                break
            iterator = page.get("NextShardIterator")
    return out
