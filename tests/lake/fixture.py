"""Telemetry fixture for the lake tests: EMF lines relative to `now`, and an independent reading of them.

Read with plain json/gzip only, so expected answers computed from these structures are independent of the code
under test. The lines are what the real collector writes for the points (`consumers.generate.emf_writer`, proven
against the collector in tests/generate/test_collector_vs_writer.py), except the corpus's deliberate bad members:
one unparsable line, one negative value and EMF array values (which awsemf never writes; hand-built here).
The seed's queries filter on the last 7/30 days relative to the query's own clock, so every event is generated
relative to the `now_ms` of the test run: most in the last 5 days (at least 10 minutes old), a few 10 days old
(outside 7 days, inside 30).
"""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from consumers.generate.emf_writer import EmfWriter

DAY_MS = 86_400_000
MINUTE_MS = 60_000
TOKEN = "claude_code.token.usage"
COST = "claude_code.cost.usage"
SESSION = "claude_code.session.count"
LINES = "claude_code.lines_of_code.count"
DECISION = "claude_code.code_edit_tool.decision"
ACTIVE = "claude_code.active_time.total"
COMMITS = "claude_code.commit.count"
PRS = "claude_code.pull_request.count"

#: USD per million tokens by model id, typed in from shared/reference/platform.md (not read from schemas/).
PRICE_PER_MILLION: dict[str, dict[str, float] | None] = {
    "us.anthropic.claude-sonnet-4-20250514-v1:0": {"input": 3, "cacheCreation": 3.75, "cacheRead": 0.3, "output": 15},
    "claude-opus-4-1-20250805": {"input": 15, "cacheCreation": 18.75, "cacheRead": 1.5, "output": 75},
    "global.anthropic.claude-opus-4-5-20251101-v1:0": {
        "input": 5,
        "cacheCreation": 6.25,
        "cacheRead": 0.5,
        "output": 25,
    },
    "claude-haiku-4-5-20251001": {"input": 1, "cacheCreation": 1.25, "cacheRead": 0.1, "output": 5},
    "mystery-model-9": None,
}
MODELS = list(PRICE_PER_MILLION)

USERS: list[dict[str, str]] = [
    {
        "user.email": "alice@example.com",
        "user.id": "a11ce000-0000-4000-8000-000000000001",
        "department": "engineering",
        "team.id": "platform",
        "cost_center": "cc-1",
    },
    {
        "user.email": "bob@example.com",
        "user.id": "b0b00000-0000-4000-8000-000000000002",
        "department": "engineering",
        "team.id": "payments",
        "cost_center": "cc-1",
    },
    {"user.id": "c0ffee00-0000-4000-8000-000000000003", "department": "research", "team.id": "default-team"},
    {"user.email": "dana@example.com", "user.id": "da4a0000-0000-4000-8000-000000000004"},
]


def emf_line(ts_ms: int, attrs: dict[str, str], metrics: dict[str, Any], units: dict[str, str]) -> str:
    """The collector's line for these points (`units`: metric → OTLP unit); array values give a hand-built line."""
    if all(isinstance(v, int | float) for v in metrics.values()):
        return EmfWriter(units=units).line(ts_ms, attrs, metrics)
    doc: dict[str, Any] = {"OTelLib": "com.anthropic.claude_code", "Version": "1"}
    doc["_aws"] = {
        "CloudWatchMetrics": [
            {
                "Namespace": "ClaudeCode",
                "Dimensions": [["department"]],
                "Metrics": [{"Name": m, "Unit": units[m], "StorageResolution": 60} for m in metrics],
            }
        ],
        "Timestamp": ts_ms,
    }
    doc.update(attrs)
    doc.update(metrics)
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class LogEvent:
    stream: str
    timestamp: int
    message: str


def generate_events(now_ms: int, seed: int = 7) -> list[LogEvent]:
    """EMF log events over two log streams, plus one unparsable line and one negative value."""
    rng = random.Random(seed)
    events: list[LogEvent] = []
    units = {
        TOKEN: "tokens",
        COST: "USD",
        SESSION: "",
        LINES: "",
        DECISION: "",
        ACTIVE: "s",
        COMMITS: "",
        PRS: "",
    }
    for u_index, user in enumerate(USERS):
        for s_index in range(2 + u_index % 2):
            session = f"sess-{u_index}-{s_index}"
            stream = f"otel-stream-{(u_index + s_index) % 2}"
            old = s_index == 1 and u_index == 1  # one session 10 days ago
            start = now_ms - (10 * DAY_MS if old else rng.randrange(20 * MINUTE_MS, 5 * DAY_MS))
            model = MODELS[(u_index + s_index) % len(MODELS)]
            base = {**user, "session.id": session, "terminal.type": "vscode", "service.name": "claude-code"}
            if u_index == 0:
                base["custom.tag"] = f"t{s_index}"  # not in the catalogue: goes to the attributes map
            events.append(LogEvent(stream, start, emf_line(start, base | {"start_type": "fresh"}, {SESSION: 1}, units)))
            for tick in range(rng.randrange(4, 9)):
                ts = start + (tick + 1) * MINUTE_MS + rng.randrange(0, 59_000)
                if ts > now_ms - 10 * MINUTE_MS:
                    break
                if tick % 3 == 2:
                    model = MODELS[(u_index + s_index + tick) % len(MODELS)]
                for token_type in ("input", "output", "cacheRead", "cacheCreation"):
                    n = rng.randrange(1, 5000) if token_type != "cacheRead" else rng.randrange(0, 50_000)
                    attrs = base | {"model": model, "type": token_type}
                    events.append(LogEvent(stream, ts, emf_line(ts, attrs, {TOKEN: n}, units)))
                events.append(
                    LogEvent(
                        stream, ts, emf_line(ts, base | {"model": model}, {COST: round(rng.uniform(0, 0.5), 6)}, units)
                    )
                )
                language = ["Python", "TypeScript", "unknown"][(tick + u_index) % 3]
                decision = "reject" if rng.random() < 0.3 else "accept"
                events.append(
                    LogEvent(
                        stream,
                        ts,
                        emf_line(
                            ts,
                            base
                            | {"tool_name": "Edit", "decision": decision, "language": language, "source": "config"},
                            {DECISION: rng.randrange(1, 4)},
                            units,
                        ),
                    )
                )
                values: Any = rng.randrange(1, 80) if tick != 1 else [rng.randrange(1, 9), rng.randrange(1, 9)]
                events.append(
                    LogEvent(stream, ts, emf_line(ts, base | {"model": model, "type": "added"}, {LINES: values}, units))
                )
                events.append(LogEvent(stream, ts, emf_line(ts, base | {"type": "cli"}, {ACTIVE: 12.5}, units)))
                if tick == 2:
                    events.append(LogEvent(stream, ts, emf_line(ts, base, {COMMITS: 1, PRS: 1}, units)))
    first = min(e.timestamp for e in events)
    events.append(LogEvent("otel-stream-0", first, "this is not an EMF line"))
    bad_value = emf_line(first, USERS[0] | {"model": MODELS[0], "type": "input"}, {TOKEN: -5}, {TOKEN: "tokens"})
    events.append(LogEvent("otel-stream-0", first, bad_value))
    return sorted(events, key=lambda e: (e.stream, e.timestamp))


# -- an independent reading of the decoded fixture ----------------------------------------------------------


@dataclass(frozen=True)
class Point:
    ts: int
    metric: str
    value: float
    attrs: dict[str, str]

    def get(self, key: str) -> str | None:
        return self.attrs.get(key)

    @property
    def user_key(self) -> str | None:
        return self.attrs.get("user.email") or self.attrs.get("user.id")

    @property
    def tokens(self) -> float | None:
        return self.value if self.metric == TOKEN else None

    @property
    def utc(self) -> datetime:
        return datetime.fromtimestamp(self.ts / 1000, tz=UTC)


def unique_log_events(kinesis_payloads: list[bytes]) -> list[tuple[str, dict[str, Any]]]:
    """(log stream, log event) of every DATA_MESSAGE event, each distinct event once (redeliveries collapse)."""
    seen: set[tuple[str, str, int, str]] = set()
    out = []
    for payload in kinesis_payloads:
        try:
            env = json.loads(gzip.decompress(payload))
        except (OSError, ValueError):
            continue
        if env.get("messageType") != "DATA_MESSAGE":
            continue
        for ev in env["logEvents"]:
            key = (env["logStream"], str(ev["id"]), ev["timestamp"], ev["message"])
            if key not in seen:
                seen.add(key)
                out.append((env["logStream"], ev))
    return out


def points_of(kinesis_payloads: list[bytes]) -> list[Point]:
    """Every valid data point: metric keys start with `claude_code.`; negative or non-numeric values skipped."""
    points = []
    for _stream, ev in unique_log_events(kinesis_payloads):
        try:
            doc = json.loads(ev["message"])
        except ValueError:
            continue
        ts = doc["_aws"]["Timestamp"]
        attrs = {k: v for k, v in doc.items() if k not in ("_aws", "Version") and not k.startswith("claude_code.")}
        for k, v in doc.items():
            if k.startswith("claude_code."):
                for item in v if isinstance(v, list) else [v]:
                    if isinstance(item, int | float) and item >= 0:
                        points.append(Point(ts, k, float(item), attrs))
    return points
