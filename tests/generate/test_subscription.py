"""Packing EMF lines into subscription envelopes and captured Kinesis records."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json

import pytest

from consumers.generate import EmfLine, SubscriptionOptions, capture, decode_captured, pack, simulate
from consumers.generate.output import write_kinesis
from schemas.envelope import decode_envelope, encode_envelope

START_MS = 1_795_442_400_000  # Monday 2026-11-23T14:00Z
CONTROL_TEXT = "CWL CONTROL MESSAGE: Checking health of destination Kinesis stream."


@pytest.fixture(scope="module")
def lines() -> list[EmfLine]:
    return list(simulate(30, 150, START_MS, seed=4))


def test_every_line_becomes_exactly_one_log_event(lines: list[EmfLine]) -> None:
    records = list(pack(lines, SubscriptionOptions(max_events=40)))
    data = [r.envelope for r in records if not r.envelope.is_control]
    delivered = sorted((e.timestamp, e.message) for env in data for e in env.log_events)
    assert delivered == sorted((line.timestamp_ms, line.line) for line in lines)
    assert max(len(env.log_events) for env in data) <= 40


def test_data_envelopes_look_like_cloudwatch(lines: list[EmfLine]) -> None:
    stream_of = {line.line: line.log_stream for line in lines}
    ids: list[str] = []
    for rec in pack(lines):
        env = rec.envelope
        if env.is_control:
            continue
        assert env.message_type == "DATA_MESSAGE"
        assert env.owner == "123456789012"
        assert env.log_group == "/aws/claude-code/metrics"
        assert env.subscription_filters == ["claude-code-metrics-to-kinesis"]
        assert {stream_of[e.message] for e in env.log_events} == {env.log_stream}
        stamps = [e.timestamp for e in env.log_events]
        assert stamps == sorted(stamps)
        assert rec.arrival_ms > stamps[-1]
        ids.extend(str(e.id) for e in env.log_events)
    assert all(len(i) == 56 and i.isdigit() for i in ids)
    assert len(set(ids)) == len(ids)


def test_control_messages_at_start_and_hourly(lines: list[EmfLine]) -> None:
    records = list(pack(lines))
    controls = [r for r in records if r.envelope.is_control]
    assert records[0].envelope.is_control
    assert len(controls) == 3  # 150 minutes: at the start, +1 h, +2 h
    for rec in controls:
        assert rec.envelope.owner == "CloudwatchLogs"
        assert [e.message for e in rec.envelope.log_events] == [CONTROL_TEXT]
    arrivals = [r.arrival_ms for r in records]
    assert arrivals == sorted(arrivals)


def test_envelopes_round_trip_through_gzip(lines: list[EmfLine]) -> None:
    for rec in list(pack(lines))[:20]:
        raw = encode_envelope(rec.envelope)
        assert decode_envelope(raw) == rec.envelope
        doc = json.loads(gzip.decompress(raw))
        assert list(doc) == ["messageType", "owner", "logGroup", "logStream", "subscriptionFilters", "logEvents"]


def test_captured_records_have_the_get_records_shape(lines: list[EmfLine]) -> None:
    out = io.BytesIO()
    count = write_kinesis(lines, out, workers=2)
    rows = out.getvalue().splitlines()
    assert len(rows) == count
    last_seq: dict[int, int] = {}
    for row in rows:
        doc = json.loads(row)
        assert set(doc) == {"SequenceNumber", "ApproximateArrivalTimestamp", "Data", "PartitionKey"}
        assert len(doc["SequenceNumber"]) == 56 and doc["SequenceNumber"].isdigit()
        assert doc["ApproximateArrivalTimestamp"].endswith("+00:00")
        decode_envelope(base64.b64decode(doc["Data"]))
        # Kinesis: MD5 of the key over two equal ranges of the 128-bit hash key space.
        shard = 0 if int(hashlib.md5(doc["PartitionKey"].encode()).hexdigest(), 16) < 2**127 else 1
        seq = int(doc["SequenceNumber"])
        assert seq > last_seq.get(shard, 0)
        last_seq[shard] = seq
    assert set(last_seq) == {0, 1}


def test_threaded_and_serial_encoding_are_identical(lines: list[EmfLine]) -> None:
    packed = list(pack(lines[:2000]))
    assert list(capture(packed, workers=1)) == list(capture(packed, workers=3))


def test_decode_captured_reads_what_was_written(lines: list[EmfLine]) -> None:
    first = next(capture(pack(lines[:50])))
    again = decode_captured(json.dumps({
        "SequenceNumber": first.sequence_number,
        "ApproximateArrivalTimestamp": first.approximate_arrival_timestamp,
        "Data": first.data,
        "PartitionKey": first.partition_key,
    }))  # fmt: skip
    assert again == first
