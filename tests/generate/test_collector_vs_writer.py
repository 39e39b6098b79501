"""The same simulated activity two ways: (a) OTLP → the real collector (awsemf) → CloudWatch Logs on the emulator,
(b) our EMF writer (`consumers/generate/emf_writer.py`, now only a test tool). The aggregates must be equal — every
(metric, minute) total and every (metric, minute, session, metric attributes) total — and the format differences
are printed (and listed in tests/fixtures/README.md):

- (a) has the per-point CLI attributes (`user.id` as 64 hex, `anthropic.*`, OAuth keys only for OAuth users,
  `query_source`) and the resource keys (`service.*`, `os.*`, `host.arch`) on every line; (b) has the collector-era
  label set of our old notes (`user.id` a UUID, no `anthropic.*`);
- (a)'s `_aws` metrics carry `StorageResolution` and `"Unit":""` for counts; its grouping of metrics into lines
  follows awsemf's (labels, timestamp, metric type, batch) key.

Both sides are read back with plain json (no ccstream decoder), values = keys starting with `claude_code.`.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest

from consumers.aws import AwsTarget
from consumers.generate.collected import log_events, send_bodies
from consumers.generate.otlp import requests_of
from consumers.generate.simulator import simulate_exports, simulate_minutes
from tests.generate.collector_env import free_port, start_test_collector

pytestmark = pytest.mark.emulator

USERS, MINUTES, SEED = 40, 6, 23
COUNTS = {"claude_code.session.count", "claude_code.code_edit_tool.decision", "claude_code.lines_of_code.count"}
OWN = ("model", "type", "decision", "source", "tool_name", "language", "start_type")


def _values(doc: dict[str, object]) -> dict[str, float]:
    return {k: float(v) for k, v in doc.items() if k.startswith("claude_code.") and isinstance(v, int | float)}


def _own(doc: dict[str, object]) -> tuple[tuple[str, object], ...]:
    return tuple(sorted((k, doc[k]) for k in OWN if k in doc))


def test_collector_lines_and_writer_lines_aggregate_the_same(
    aws: AwsTarget, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now_ms = int(time.time() * 1000)
    start_ms = now_ms - now_ms % 60_000 - (MINUTES + 2) * 60_000
    group = f"/aws/claude-code/cmp-{now_ms}"
    minutes = [list(requests_of(batch)) for batch in simulate_exports(USERS, MINUTES, start_ms, SEED)]
    sent_points = sum(len(m["sum"]["dataPoints"]) for bodies in minutes for b in bodies for m in _metrics(b))
    sent_bytes = 0
    with start_test_collector(aws, tmp_path, free_port(), group) as collector:
        for bodies in minutes:  # a minute per batch (timeout 1 s): PutLogEvents calls of the size production sees
            sent_bytes += send_bodies(collector.otlp_http_url, bodies).stats.bytes
            time.sleep(1.5)
    events = log_events(aws.client("logs"), group)
    assert events, "the collector wrote nothing"

    got_minute: Counter[tuple[str, int]] = Counter()
    got_series: Counter[tuple[object, ...]] = Counter()
    collector_points = 0
    for ev in events:
        doc = json.loads(ev.message)
        aws_block = doc.get("_aws")
        ts = aws_block["Timestamp"] if isinstance(aws_block, dict) else ev.timestamp_ms
        assert ts == ev.timestamp_ms
        for metric, value in _values(doc).items():
            collector_points += 1
            got_minute[(metric, ts - ts % 60_000)] += value
            got_series[(metric, ts, doc["session.id"], _own(doc))] += value

    want_minute: Counter[tuple[str, int]] = Counter()
    want_series: Counter[tuple[object, ...]] = Counter()
    writer_points = 0
    writer_bytes = writer_lines = 0
    for line in (ln for batch in simulate_minutes(USERS, MINUTES, start_ms, SEED) for ln in batch):
        doc = json.loads(line.line)
        writer_bytes += len(line.line)
        writer_lines += 1
        ts = doc["_aws"]["Timestamp"]
        for metric, value in _values(doc).items():
            writer_points += 1
            want_minute[(metric, ts - ts % 60_000)] += value
            want_series[(metric, ts, doc["session.id"], _own(doc))] += value

    assert collector_points == writer_points == sent_points
    assert got_minute.keys() == want_minute.keys()
    for key, value in want_minute.items():
        assert got_minute[key] == pytest.approx(value, rel=1e-9), key
    assert got_series.keys() == want_series.keys()
    for key, value in want_series.items():
        assert got_series[key] == pytest.approx(value, rel=1e-9), key

    collector_bytes = sum(len(ev.message.encode()) for ev in events)
    keys_a = {k for ev in events for k in json.loads(ev.message) if not k.startswith("claude_code.")}
    keys_b = {k for k in _writer_keys(start_ms) if not k.startswith("claude_code.")}
    units_a = {(m["Name"], m["Unit"], m.get("StorageResolution")) for ev in events for m in _declared(ev.message)}
    assert all(resolution == 60 for _, _, resolution in units_a)
    assert {unit for name, unit, _ in units_a if name in COUNTS} == {""}
    with capsys.disabled():
        print(
            f"\nsame activity, {sent_points} points: collector {len(events)} lines, {collector_bytes / sent_points:.0f}"
            f" bytes/point; our writer {writer_lines} lines, {writer_bytes / writer_points:.0f} bytes/point;"
            f" {sent_bytes / sent_points:.0f} OTLP JSON bytes/point sent"
            f"\nkeys only in collector lines: {sorted(keys_a - keys_b)}; only in ours: {sorted(keys_b - keys_a)}"
            f"\ncollector units: {sorted(units_a)}"
        )


def _declared(message: str) -> list[dict]:
    block = json.loads(message).get("_aws")
    return [m for d in block["CloudWatchMetrics"] for m in d["Metrics"]] if isinstance(block, dict) else []


def _writer_keys(start_ms: int) -> set[str]:
    keys: set[str] = set()
    for batch in simulate_minutes(USERS, MINUTES, start_ms, SEED):
        for line in batch:
            keys |= set(json.loads(line.line))
    return keys


def _metrics(body: bytes) -> list[dict]:
    doc = json.loads(body)
    return [m for rm in doc["resourceMetrics"] for sm in rm["scopeMetrics"] for m in sm["metrics"]]
