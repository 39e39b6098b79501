"""The collector model (`consumers/generate/emf_writer.py`) against the real collector, live: the same input goes
(a) as OTLP through the real collector (awsemf) into CloudWatch Logs on the emulator and (b) through the model.
The lines must be the same — byte for byte, except the order of a merged line's `Metrics` entries (Go map order),
so every line compares canonically and by byte length, and single-metric lines byte for byte:

- the simulator's activity (`simulate_minutes`, what the benchmarks, `ccstream generate --format emf|kinesis` and
  `ccstream up --format`-less tools write) against the same activity's OTLP (`simulate_exports`);
- the hand-built lines of the unit tests (tests/core/telemetry.py, tests/lake/envelopes.py, tests/lake/fixture.py,
  benchmarks/freshness.py, the malformed corpus's good lines): the shapes of their inputs (point attributes only,
  missing department, bools, escapes, non-ASCII, tiny and huge numbers, merged and undeclared metrics), each sent as
  the one OTLP request that means the same points.

Both sides are read back with plain json.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from consumers.aws import AwsTarget
from consumers.emulator import EmbeddedEmulator
from consumers.generate.collected import CollectedEvent, log_events, send_bodies
from consumers.generate.emf_writer import EmfWriter
from consumers.generate.otlp import METRIC_UNITS, requests_of
from consumers.generate.simulator import simulate_exports, simulate_minutes
from tests.core.telemetry import random_events
from tests.generate.collector_env import free_port, start_test_collector
from tests.generate.test_emf_writer import assert_same_lines

pytestmark = pytest.mark.emulator

USERS, MINUTES, SEED = 40, 6, 23
BUILDER_SESSION = "builder-"


@dataclass(frozen=True)
class HandInput:
    ts: int
    attrs: dict[str, Any]
    values: dict[str, float]
    units: dict[str, str]


def hand_inputs(now_ms: int) -> list[HandInput]:
    """Inputs shaped like every hand builder's, each with its own session id (so no two share a line)."""
    base = now_ms - 30 * 60_000
    out: list[HandInput] = []
    for i, (_, _, points) in enumerate(random_events(random.Random(5), 40, base, 20 * 60_000)):
        attrs = dict(points[0].attrs) | {"session.id": f"{BUILDER_SESSION}core-{i}"}
        out.append(HandInput(points[0].ts, attrs, {p.metric: p.value for p in points}, {}))
    odd = [
        ({"user.id": "id-anon"}, {"claude_code.commit.count": 1, "claude_code.pull_request.count": 2}, {}),
        ({"user.email": "a@example.com", "custom.tag": "blue", "model": "claude-x", "type": "input"},
         {"claude_code.token.usage": 1523}, {"claude_code.token.usage": "tokens"}),
        ({"team.id": "R&D <core>", "user.name": "Zoë Ærø", "flag": True}, {"claude_code.active_time.total": 12.5}, {}),
        ({"model": "m"}, {"claude_code.cost.usage": 3e-7}, {}),
        ({"model": "m", "type": "output"}, {"claude_code.token.usage": 2.5e22}, {}),
        ({"department": "d"}, {"claude_code.future.metric": 3, "other.metric": 4}, {}),
        ({"department": "d"}, {"other.metric": 4}, {}),
        ({"terminal.type": "vscode", "service.name": "claude-code", "start_type": "fresh"},
         {"claude_code.session.count": 1}, {}),
        ({"team.id": "probe-7", "user.email": "freshness.probe@example.com"}, {"claude_code.commit.count": 1}, {}),
    ]  # fmt: skip
    for i, (attrs, values, units) in enumerate(odd):
        out.append(HandInput(base + i * 1000, attrs | {"session.id": f"{BUILDER_SESSION}odd-{i}"}, values, units))
    return out


def _value(v: Any) -> dict[str, Any]:
    return {"boolValue": v} if isinstance(v, bool) else {"stringValue": str(v)}


def otlp_request(item: HandInput) -> bytes:
    """The one OTLP request (no resource attributes, the CLI's scope) that means the same points."""
    attributes = [{"key": k, "value": _value(v)} for k, v in item.attrs.items()]
    metrics = [
        {
            "name": name,
            "unit": item.units.get(name, METRIC_UNITS.get(name, ("", ""))[0]),
            "sum": {
                "aggregationTemporality": 1,
                "isMonotonic": True,
                "dataPoints": [
                    {
                        "attributes": attributes,
                        "startTimeUnixNano": str((item.ts - 60_000) * 1_000_000),
                        "timeUnixNano": str(item.ts * 1_000_000),
                        "asDouble": value,
                    }
                ],
            },
        }
        for name, value in item.values.items()
    ]
    scope = {"scope": {"name": "com.anthropic.claude_code", "version": "2.1.332"}, "metrics": metrics}
    return json.dumps({"resourceMetrics": [{"resource": {"attributes": []}, "scopeMetrics": [scope]}]}).encode()


@dataclass(frozen=True)
class Run:
    start_ms: int
    hand: list[HandInput]
    events: list[CollectedEvent]
    sent_points: int
    sent_bytes: int


@pytest.fixture(scope="module")
def run(emulator: EmbeddedEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    aws = AwsTarget(endpoint_url=emulator.url, region="us-east-1")
    now_ms = int(time.time() * 1000)
    start_ms = now_ms - now_ms % 60_000 - (MINUTES + 2) * 60_000
    group = f"/aws/claude-code/cmp-{now_ms}"
    minutes = [list(requests_of(batch)) for batch in simulate_exports(USERS, MINUTES, start_ms, SEED)]
    sent_points = sum(len(m["sum"]["dataPoints"]) for bodies in minutes for b in bodies for m in _metrics(b))
    hand = hand_inputs(now_ms)
    sent_bytes = 0
    with start_test_collector(aws, tmp_path_factory.mktemp("collector"), free_port(), group) as collector:
        for bodies in minutes:  # a minute per batch (timeout 1 s): PutLogEvents calls of the size production sees
            sent_bytes += send_bodies(collector.otlp_http_url, bodies).stats.bytes
            time.sleep(1.5)
        send_bodies(collector.otlp_http_url, [otlp_request(item) for item in hand])
    events = log_events(aws.client("logs"), group)
    assert events, "the collector wrote nothing"
    yield Run(start_ms, hand, events, sent_points, sent_bytes)


def _is_hand(message: str) -> bool:
    return json.loads(message).get("session.id", "").startswith(BUILDER_SESSION)


def test_simulator_lines_are_the_collector_lines(run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    collector = [ev.message for ev in run.events if not _is_hand(ev.message)]
    ours = [line.line for batch in simulate_minutes(USERS, MINUTES, run.start_ms, SEED) for line in batch]
    points = sum(1 for line in collector for k in json.loads(line) if k.startswith("claude_code."))
    assert points == run.sent_points
    assert_same_lines(ours, collector)
    for ev in (ev for ev in run.events if not _is_hand(ev.message)):  # log event time = the line's _aws.Timestamp
        assert json.loads(ev.message)["_aws"]["Timestamp"] == ev.timestamp_ms
    collector_bytes = sum(len(line.encode()) for line in collector)
    with capsys.disabled():
        print(
            f"\nsame activity, {run.sent_points} points: {len(collector)} lines, {collector_bytes / points:.0f} bytes"
            f" per point written by the collector and by the model; {run.sent_bytes / points:.0f} OTLP JSON bytes"
            " per point sent"
        )


def test_hand_built_lines_are_the_collector_lines(run: Run) -> None:
    collector = {json.loads(ev.message)["session.id"]: ev for ev in run.events if _is_hand(ev.message)}
    assert len(collector) == len(run.hand)
    for item in run.hand:
        ours = EmfWriter(units=item.units).line(item.ts, item.attrs, item.values)
        real = collector[item.attrs["session.id"]]
        assert_same_lines([ours], [real.message])
        assert real.timestamp_ms == item.ts


def _metrics(body: bytes) -> list[dict[str, Any]]:
    doc = json.loads(body)
    return [m for rm in doc["resourceMetrics"] for sm in rm["scopeMetrics"] for m in sm["metrics"]]
