"""`redrive` feeds a dead letter back through the pipeline after a fix, exactly once (emulator: S3, Kinesis).

The "fix" is a raised line limit: with `CCSTREAM_MAX_LINE_BYTES` low, a long line is an `oversized_line` dead
letter; after the limit is back to its default, redrive puts it back on the stream and the same pipeline counts it.
A second redrive puts nothing (marker); a redrive that lost its marker (a crash between the put and the marker)
puts the same bytes again and the pipeline counts them as a duplicate."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from consumers.aws import AwsTarget
from consumers.config import Tunables
from consumers.decode.records import env_limits
from consumers.generate.badcorpus import good_line
from consumers.model import SourceRecord
from consumers.pipeline import ShardPipeline
from consumers.redrive import MARKER_PREFIX, redrive
from consumers.sink.deadletter import S3DeadLetters
from consumers.sink.memory import MemoryStores
from schemas import catalogue as cat
from schemas.envelope import DATA_MESSAGE, Envelope, LogEvent, encode_envelope

pytestmark = pytest.mark.emulator
SHARD = "shardId-000000000000"


def _stream_records(kinesis: Any, stream: str, after: int) -> list[SourceRecord]:
    shard = kinesis.describe_stream(StreamName=stream)["StreamDescription"]["Shards"][0]["ShardId"]
    it = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    got = kinesis.get_records(ShardIterator=it["ShardIterator"], Limit=100)["Records"]
    # After the pipeline's own first record (1): the emulator numbers its records from 1 too.
    return [SourceRecord(SHARD, 100 + int(r["SequenceNumber"]), 0, r["PartitionKey"], r["Data"], 0) for r in got][
        after:
    ]


def test_redrive_counts_a_fixed_line_exactly_once(aws: AwsTarget, monkeypatch: pytest.MonkeyPatch) -> None:
    s3, kinesis = aws.client("s3"), aws.client("kinesis")
    bucket, stream = f"dl-{uuid.uuid4().hex[:8]}", f"s-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    kinesis.create_stream(StreamName=stream, ShardCount=1)

    short = good_line(1, {cat.COMMITS: 1})
    long = good_line(2, {cat.COMMITS: 1}, note="x" * 800)
    assert len(short) < 1200 < len(long)
    env = Envelope(DATA_MESSAGE, "1", "/aws/claude-code/metrics", "otel-stream-a", ["f"],
                   [LogEvent("1", 1_795_215_601_000, short), LogEvent("2", 1_795_215_602_000, long)])  # fmt: skip
    record = SourceRecord(SHARD, 1, 0, "pk", encode_envelope(env), 0)

    monkeypatch.setenv("CCSTREAM_MAX_LINE_BYTES", "1200")
    env_limits.cache_clear()
    stores = MemoryStores()
    p = ShardPipeline("app", SHARD, stores.stores(), Tunables(), clock_ms=lambda: 0)
    p.process([record])
    p.flush(force=True)
    assert p.counters.values["points"] == 1
    letters = list(stores.letters.values())
    assert [dl.reason for dl in letters] == ["oversized_line"]
    S3DeadLetters(s3, bucket).write(letters)

    monkeypatch.delenv("CCSTREAM_MAX_LINE_BYTES")  # the fix
    env_limits.cache_clear()
    try:
        dry = redrive(s3, kinesis, bucket, stream, dry_run=True)
        assert (dry.found, dry.redriven, dry.already) == (1, 1, 0)
        assert _stream_records(kinesis, stream, 0) == []  # a dry run puts nothing

        first = redrive(s3, kinesis, bucket, stream, reason="oversized_line")
        assert (first.redriven, first.by_reason) == (1, {"oversized_line": 1})
        assert redrive(s3, kinesis, bucket, stream, reason="bad_json").found == 0
        again = redrive(s3, kinesis, bucket, stream)
        assert (again.redriven, again.already) == (0, 1)

        # A crash between the put and the marker: the marker is gone, the same record goes out again.
        for obj in s3.list_objects_v2(Bucket=bucket, Prefix=MARKER_PREFIX)["Contents"]:
            s3.delete_object(Bucket=bucket, Key=obj["Key"])
        assert redrive(s3, kinesis, bucket, stream).redriven == 1

        sent = _stream_records(kinesis, stream, 0)
        assert len(sent) == 2 and sent[0].data == sent[1].data
        for rec in sent:
            p.process([rec])
        p.flush(force=True)
        assert p.counters.values["points"] == 2  # the short line, then the long one once
        assert p.counters.values.get("duplicate_records") == 1
        assert len(stores.letters) == 1  # nothing new dead-lettered
    finally:
        env_limits.cache_clear()
