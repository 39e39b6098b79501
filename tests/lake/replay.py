"""Replay fixture log events through the emulator: CloudWatch Logs → subscription filter → Kinesis, read back.

This is the production path up to the consumer: moto builds the gzip'd subscription envelopes (with its own
integer event ids) and puts them into the stream. The records are read back with GetRecords so a test can hand
them to a record processor through the stdio harness.
"""

from __future__ import annotations

from typing import Any

from tests.lake.fixture import LogEvent
from tests.lake.kcl_harness import KinesisRecord


def create_subscribed_stream(aws: Any, name: str, shards: int = 2) -> tuple[str, str]:
    """A Kinesis stream and a log group subscribed to it; returns (log group, stream name)."""
    kinesis, logs = aws.client("kinesis"), aws.client("logs")
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    arn = kinesis.describe_stream(StreamName=name)["StreamDescription"]["StreamARN"]
    group = f"/test/{name}"
    logs.create_log_group(logGroupName=group)
    logs.put_subscription_filter(
        logGroupName=group,
        filterName=f"{name}-to-kinesis",
        filterPattern="",
        destinationArn=arn,
        roleArn="arn:aws:iam::123456789012:role/cwl-to-kinesis",
    )
    return group, name


def put_events(aws: Any, group: str, events: list[LogEvent], batch: int = 25) -> int:
    """PutLogEvents in chronological batches per log stream; returns the number of calls (= Kinesis records)."""
    logs = aws.client("logs")
    calls = 0
    for stream in sorted({e.stream for e in events}):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        mine = sorted((e for e in events if e.stream == stream), key=lambda e: e.timestamp)
        for i in range(0, len(mine), batch):
            chunk = [{"timestamp": e.timestamp, "message": e.message} for e in mine[i : i + batch]]
            logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=chunk)
            calls += 1
    return calls


def read_stream(aws: Any, stream: str) -> dict[str, list[KinesisRecord]]:
    """Every record of every shard, from TRIM_HORIZON."""
    kinesis = aws.client("kinesis")
    out: dict[str, list[KinesisRecord]] = {}
    for shard in kinesis.describe_stream(StreamName=stream)["StreamDescription"]["Shards"]:
        sid = shard["ShardId"]
        it = kinesis.get_shard_iterator(StreamName=stream, ShardId=sid, ShardIteratorType="TRIM_HORIZON")[
            "ShardIterator"
        ]
        records: list[KinesisRecord] = []
        while it:
            resp = kinesis.get_records(ShardIterator=it, Limit=1000)
            for r in resp["Records"]:
                arrival = int(r["ApproximateArrivalTimestamp"].timestamp() * 1000)
                records.append(KinesisRecord(r["Data"], int(r["SequenceNumber"]), arrival, r["PartitionKey"]))
            if not resp["Records"]:
                break
            it = resp.get("NextShardIterator")
        out[sid] = records
    return out
