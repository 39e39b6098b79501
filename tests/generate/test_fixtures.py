"""The committed fixtures conform to their documented formats and regenerate identically."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from consumers.generate import decode_captured
from consumers.generate.fixtures import build_all
from schemas.emf import EmfError, parse_line
from schemas.envelope import Envelope, EnvelopeDecodeError, decode_envelope

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MIDNIGHT_MS = 1_796_428_800_000  # 2026-12-05T00:00:00Z
EIGHT_METRICS = {
    "claude_code.session.count",
    "claude_code.lines_of_code.count",
    "claude_code.pull_request.count",
    "claude_code.commit.count",
    "claude_code.cost.usage",
    "claude_code.token.usage",
    "claude_code.code_edit_tool.decision",
    "claude_code.active_time.total",
}


def _envelopes(name: str) -> list[Envelope]:
    with (FIXTURES / name).open("rb") as fh:
        return [decode_envelope(decode_captured(row).data_bytes()) for row in fh]


@pytest.fixture(scope="module")
def midnight() -> list[Envelope]:
    return _envelopes("midnight.kinesis.jsonl")


def test_fixtures_are_small() -> None:
    assert sum(p.stat().st_size for p in FIXTURES.iterdir() if p.is_file()) < 1_400_000


def test_midnight_kinesis_decodes_and_crosses_midnight(midnight: list[Envelope]) -> None:
    assert not any(env.is_control for env in midnight)  # moto sends no control messages (bad corpus #6 has one)
    events = [e for env in midnight for e in env.log_events]
    assert len(events) > 5000
    assert min(e.timestamp for e in events) < MIDNIGHT_MS <= max(e.timestamp for e in events)
    assert sum(e.timestamp < MIDNIGHT_MS for e in events) > 1000
    assert sum(e.timestamp >= MIDNIGHT_MS for e in events) > 1000
    assert {env.log_stream for env in midnight} == {"otel-stream-midnight"}  # the collector's task id
    assert all(env.log_group == "/aws/claude-code/metrics" for env in midnight)
    ids = [str(e.id) for e in events]
    assert len(set(ids)) == len(ids)


def test_midnight_kinesis_has_all_metrics_users_without_email_and_merged_lines(midnight: list[Envelope]) -> None:
    metrics: Counter[str] = Counter()
    without_email = merged = 0
    for env in midnight:
        for event in env.log_events:
            points, rejected = parse_line(event.message)
            assert rejected == [] and points
            assert all(p.timestamp_ms == event.timestamp for p in points)
            metrics.update(p.metric for p in points)
            merged += len(points) > 1
            without_email += "user.email" not in points[0].attributes
            doc = json.loads(event.message)  # awsemf's shape: sorted keys, StorageResolution, NoDimensionRollup
            assert list(doc) == sorted(doc)
            assert all(m["StorageResolution"] == 60 for d in doc["_aws"]["CloudWatchMetrics"] for m in d["Metrics"])
    assert set(metrics) == EIGHT_METRICS
    assert without_email > 0
    assert merged > 0


def test_midnight_emf_lines_are_valid_emf_across_midnight() -> None:
    lines = (FIXTURES / "midnight.emf.ndjson").read_text().splitlines()
    stamps = []
    for line in lines:
        points, rejected = parse_line(line)
        assert points and rejected == []
        stamps.append(json.loads(line)["_aws"]["Timestamp"])
    assert MIDNIGHT_MS - 180_000 <= min(stamps) < MIDNIGHT_MS <= max(stamps) < MIDNIGHT_MS + 180_000
    assert len(lines) == 212  # documented in tests/fixtures/README.md


def test_generated_fixtures_regenerate_identically() -> None:
    """Compare decoded content (gzip bytes may differ between zlib builds)."""
    for name, content in build_all().items():
        committed = (FIXTURES / name).read_bytes()
        fresh, stored = content.splitlines(), committed.splitlines()
        assert len(fresh) == len(stored), name
        for a, b in zip(fresh, stored, strict=True):
            ra, rb = decode_captured(a), decode_captured(b)
            assert (ra.sequence_number, ra.partition_key) == (rb.sequence_number, rb.partition_key)
            assert _payload(ra.data_bytes()) == _payload(rb.data_bytes())


def _payload(data: bytes) -> Any:
    try:
        return decode_envelope(data)
    except EnvelopeDecodeError:
        return data


def _outcome(data: bytes) -> dict[str, Any]:
    """Decode one record with the schemas only (independent of consumers.decode)."""
    try:
        env = decode_envelope(data)
    except EnvelopeDecodeError as exc:
        return {"kind": "bad", "events": 0, "points": 0, "dead_letters": {exc.reason: 1}}
    if env.is_control:
        return {"kind": "control", "events": 0, "points": 0, "dead_letters": {}}
    reasons: Counter[str] = Counter()
    points = 0
    for event in env.log_events:
        try:
            good, rejected = parse_line(event.message, event.timestamp)
        except EmfError as exc:
            reasons[exc.reason] += 1
            continue
        points += len(good)
        reasons.update({r.reason for r in rejected})  # one dead letter per reason and line
    return {"kind": "data", "events": len(env.log_events), "points": points, "dead_letters": dict(reasons)}


def test_bad_corpus_matches_the_hand_written_expectations() -> None:
    expected = json.loads((FIXTURES / "bad.expected.json").read_text())
    rows = (FIXTURES / "bad.kinesis.jsonl").read_bytes().splitlines()
    assert len(rows) == expected["records"] == len(expected["by_record"])
    totals: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    events = points = 0
    for row, want in zip(rows, expected["by_record"], strict=True):
        record = decode_captured(row)
        got = _outcome(record.data_bytes())
        assert record.partition_key == want["partition_key"]
        assert got == {k: want[k] for k in ("kind", "events", "points", "dead_letters")}, want["partition_key"]
        totals.update(got["dead_letters"])
        kinds[got["kind"]] += 1
        events += got["events"]
        points += got["points"]
    assert kinds["control"] == expected["control_records"]
    assert kinds["data"] == expected["data_records"]
    assert events == expected["log_events"]
    assert points == expected["points_kept"]
    assert {k: v for k, v in expected["dead_letters_by_reason"].items() if v} == dict(totals)
    assert sum(totals.values()) == expected["dead_letters_total"]


def test_unknown_metric_in_bad_corpus_is_kept() -> None:
    rows = (FIXTURES / "bad.kinesis.jsonl").read_bytes().splitlines()
    record = next(decode_captured(r) for r in rows if b"20-unknown-metric-kept" in r)
    env = decode_envelope(record.data_bytes())
    points, rejected = parse_line(env.log_events[0].message)
    assert [(p.metric, p.value) for p in points] == [("claude_code.future.metric", 3.0)]
    assert rejected == []
