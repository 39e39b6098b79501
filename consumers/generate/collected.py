"""Read back what the real collector wrote: the EMF log events in CloudWatch Logs and the subscription's Kinesis
records, for tests, the fixture regeneration and the writer-vs-collector comparison.

    send → `collector.stop()` (flushes batch processor and exporters) → `log_events(...)` / `kinesis_records(...)`
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from consumers.generate.capture import CapturedRecord, iso_utc
from consumers.generate.sender import OtlpSender


@dataclass(frozen=True, slots=True)
class CollectedEvent:
    """One log event the collector put into CloudWatch Logs."""

    log_stream: str
    timestamp_ms: int
    message: str


def send_bodies(otlp_http_url: str, bodies: Iterable[bytes], workers: int = 1) -> OtlpSender:
    """POST every body to the collector; returns the (closed) sender with its stats."""
    sender = OtlpSender(otlp_http_url)
    try:
        sender.send_all(bodies, workers=workers)
    finally:
        sender.close()
    return sender


def log_events(logs: Any, group: str) -> list[CollectedEvent]:
    """Every event of every stream of `group`, per stream in stored order, streams by name."""
    out: list[CollectedEvent] = []
    streams: list[str] = []
    for page in logs.get_paginator("describe_log_streams").paginate(logGroupName=group):
        streams += [s["logStreamName"] for s in page["logStreams"]]
    for stream in sorted(streams):
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
            if token:
                kwargs["nextToken"] = token
            page = logs.get_log_events(**kwargs)
            out += [CollectedEvent(stream, e["timestamp"], e["message"]) for e in page["events"]]
            if not page["events"] or page.get("nextForwardToken") in (None, token):
                break
            token = page["nextForwardToken"]
    return out


def shard_records(kinesis: Any, stream: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(shard id, GetRecords record) for every record of `stream`, shard by shard from TRIM_HORIZON, until a shard
    returns an empty page."""
    shards = kinesis.list_shards(StreamName=stream)["Shards"]
    for shard in sorted(shards, key=lambda s: s["ShardId"]):
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = kinesis.get_records(ShardIterator=iterator, Limit=10_000)
            for rec in page["Records"]:
                yield shard["ShardId"], rec
            if not page["Records"]:
                break
            iterator = page.get("NextShardIterator")


def kinesis_records(kinesis: Any, stream: str) -> list[CapturedRecord]:
    """Every record of every shard of `stream` (shard by shard), as a `get-records` capture prints them."""
    return [
        CapturedRecord(
            sequence_number=rec["SequenceNumber"],
            approximate_arrival_timestamp=iso_utc(int(rec["ApproximateArrivalTimestamp"].timestamp() * 1000)),
            data=base64.b64encode(rec["Data"]).decode(),
            partition_key=rec["PartitionKey"],
        )
        for _, rec in shard_records(kinesis, stream)
    ]
