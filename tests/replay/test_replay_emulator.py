"""Replay into the embedded emulator: EMF through CloudWatch Logs' subscription, records straight into Kinesis."""

from __future__ import annotations

import base64
import json
import time
from collections import Counter
from pathlib import Path

import pytest

from consumers.aws import AwsTarget
from consumers.config import Names
from consumers.generate import EmfLine, collector_log_stream
from consumers.replay import ReplayError, TimestampsOutOfRange, put_emf_lines, replay_paths
from schemas.envelope import decode_envelope
from tests.replay.streams import make_pipeline, read_all

pytestmark = pytest.mark.emulator

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EMF = FIXTURES / "midnight.emf.ndjson"
KINESIS = FIXTURES / "midnight.kinesis.jsonl"
BAD = FIXTURES / "bad.kinesis.jsonl"


def test_emf_lines_arrive_in_kinesis_one_event_each(aws: AwsTarget) -> None:
    pipe = make_pipeline(aws)
    lines = EMF.read_text().splitlines()
    now_ms = int(time.time() * 1000)  # passed in, so the expected shift is exact
    summary = replay_paths(
        aws, Names(), [EMF], log_group=pipe.log_group, stream=pipe.stream, shift_to_now=True, now_ms=now_ms
    )
    assert summary.log_events_sent == len(lines)
    assert summary.log_events_rejected == 0
    assert summary.warnings == []

    envelopes = [decode_envelope(r["Data"]) for r in read_all(pipe.kinesis, pipe.stream)]
    events = [(env.log_stream, e) for env in envelopes if not env.is_control for e in env.log_events]
    assert len(events) == len(lines)

    # Each event is its line with only _aws.Timestamp moved, by one offset for all; log time = event time.
    shift = summary.shifted_by_ms
    assert shift == now_ms - max(json.loads(line)["_aws"]["Timestamp"] for line in lines)
    expected = Counter()
    for line in lines:
        doc = json.loads(line)
        doc["_aws"]["Timestamp"] += shift
        expected[json.dumps(doc, sort_keys=True)] += 1
    got = Counter()
    for stream, event in events:
        doc = json.loads(event.message)
        assert event.timestamp == doc["_aws"]["Timestamp"]
        assert stream == collector_log_stream(doc["session.id"])
        got[json.dumps(doc, sort_keys=True)] += 1
    assert got == expected


def test_kinesis_records_keep_data_and_partition_keys(aws: AwsTarget) -> None:
    pipe = make_pipeline(aws, subscribe=False)
    summary = replay_paths(aws, Names(), [KINESIS, BAD], stream=pipe.stream)
    sent = Counter()
    for path in (KINESIS, BAD):
        for row in path.read_bytes().splitlines():
            doc = json.loads(row)
            sent[(base64.b64decode(doc["Data"]), doc["PartitionKey"])] += 1
    assert summary.kinesis_records_sent == sum(sent.values())
    arrived = Counter((r["Data"], r["PartitionKey"]) for r in read_all(pipe.kinesis, pipe.stream))
    assert arrived == sent


def test_old_input_is_refused_before_anything_is_sent(aws: AwsTarget) -> None:
    pipe = make_pipeline(aws)
    far_future = 1_795_219_200_000 + 30 * 86_400_000  # 30 days after the fixture's midnight
    with pytest.raises(TimestampsOutOfRange, match=r"older than 14 days .*--shift-to-now"):
        replay_paths(aws, Names(), [EMF], log_group=pipe.log_group, stream=pipe.stream, now_ms=far_future)
    assert pipe.logs.describe_log_streams(logGroupName=pipe.log_group)["logStreams"] == []


def test_emulator_rejects_too_old_events_and_put_emf_lines_counts_them(aws: AwsTarget) -> None:
    pipe = make_pipeline(aws)
    now = int(time.time() * 1000)
    line = EMF.read_text().splitlines()[0]
    batch = [
        EmfLine(now - 20 * 86_400_000, "otel-stream-a", line),
        EmfLine(now - 60_000, "otel-stream-a", line),
        EmfLine(now - 30_000, "otel-stream-b", line),
    ]
    stats = put_emf_lines(pipe.logs, pipe.log_group, None, batch)
    assert (stats.events_sent, stats.rejected_too_old, stats.accepted) == (3, 1, 2)
    assert stats.streams == {"otel-stream-a", "otel-stream-b"}
    envelopes = [decode_envelope(r["Data"]) for r in read_all(pipe.kinesis, pipe.stream)]
    assert sum(len(env.log_events) for env in envelopes) == 2


def test_missing_resources_and_filters_are_reported(aws: AwsTarget) -> None:
    with pytest.raises(ReplayError, match=r"does not exist.*ccstream deploy"):
        replay_paths(aws, Names(), [EMF], log_group="/nope/missing", shift_to_now=True)
    with pytest.raises(ReplayError, match=r"does not exist.*ccstream deploy"):
        replay_paths(aws, Names(), [BAD], stream="missing-stream-for-replay")
    pipe = make_pipeline(aws, subscribe=False)
    summary = replay_paths(aws, Names(), [EMF], log_group=pipe.log_group, shift_to_now=True)
    assert any("no subscription filter" in w for w in summary.warnings)
    assert summary.log_events_sent == len(EMF.read_text().splitlines())
