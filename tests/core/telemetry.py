"""Tiny builders of EMF lines and subscription records for the core tests.

The expected aggregates in these tests are computed from the plain dicts built here, not through any ccstream
code. The lines themselves are what the real collector writes for those points: `emf_line` is the collector model
`consumers.generate.emf_writer.EmfWriter.line`, proven line for line against the real collector
(tests/generate/test_collector_vs_writer.py), so no test feeds the consumers a line the collector would not write.
"""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass

from consumers.generate.emf_writer import EmfWriter

_WRITER = EmfWriter()

MODELS = [
    "us.anthropic.claude-sonnet-4-20250514-v1:0",
    "us.anthropic.claude-opus-4-5-20251101-v1:0",
    "mystery-model-9",
]
PRICE = {  # USD per million tokens, from shared/reference/platform.md (independent of schemas/prices.json)
    "us.anthropic.claude-sonnet-4-20250514-v1:0": {
        "input": 3,
        "output": 15,
        "cacheRead": 0.3,
        "cacheCreation": 3.75,
    },
    "us.anthropic.claude-opus-4-5-20251101-v1:0": {
        "input": 5,
        "output": 25,
        "cacheRead": 0.5,
        "cacheCreation": 6.25,
    },
}


@dataclass
class Point:
    ts: int
    metric: str
    value: float
    attrs: dict[str, str]


def emf_line(ts: int, attrs: dict[str, str], metrics: dict[str, float]) -> str:
    """The line the real collector writes for these points (point attributes `attrs`, no resource attributes).
    A value that is not a number (the tests' malformed corpus) is put into the collector's line by hand."""
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in metrics.values()):
        return _WRITER.line(ts, attrs, metrics)
    doc = json.loads(_WRITER.line(ts, attrs, dict.fromkeys(metrics, 0)))
    doc.update(metrics)
    return json.dumps(doc, separators=(",", ":"))


def random_events(
    rng: random.Random, n: int, start_ms: int, span_ms: int, users: int = 7
) -> list[tuple[int, str, list[Point]]]:
    """n log events: (timestamp, emf line, the points it carries as plain data)."""
    out = []
    for _ in range(n):
        ts = start_ms + rng.randrange(span_ms)
        u = rng.randrange(users)
        attrs = {
            "user.id": f"uid-{u}",
            "session.id": f"s-{u}-{rng.randrange(3)}",
            "department": rng.choice(["eng", "sales"]),
            "team.id": rng.choice(["t1", "t2", "t3"]),
            "cost_center": "cc1",
        }
        if u % 3:
            attrs["user.email"] = f"user{u}@example.com"
        kind = rng.randrange(4)
        if kind == 0:
            attrs["model"] = rng.choice(MODELS)
            attrs["type"] = rng.choice(["input", "output", "cacheRead", "cacheCreation"])
            metrics = {"claude_code.token.usage": float(rng.randrange(1, 5000))}
        elif kind == 1:
            attrs["model"] = rng.choice(MODELS)
            metrics = {"claude_code.cost.usage": rng.randrange(1, 1000) / 997}
        elif kind == 2:
            attrs["tool_name"] = rng.choice(["Edit", "Write"])
            attrs["decision"] = rng.choice(["accept", "reject"])
            attrs["language"] = rng.choice(["Python", "Go"])
            metrics = {"claude_code.code_edit_tool.decision": 1.0}
        else:
            metrics = {
                "claude_code.commit.count": 1.0,
                "claude_code.pull_request.count": float(rng.randrange(2)),
            }
        pts = [Point(ts, m, v, dict(attrs)) for m, v in metrics.items()]
        out.append((ts, emf_line(ts, attrs, metrics), pts))
    return out


def envelope_bytes(stream: str, events: list[tuple[str, int, str]]) -> bytes:
    env = {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": "/aws/claude-code/metrics",
        "logStream": stream,
        "subscriptionFilters": ["f"],
        "logEvents": [{"id": i, "timestamp": ts, "message": msg} for i, ts, msg in events],
    }
    return gzip.compress(json.dumps(env).encode(), mtime=0)  # the same records give the same bytes


def expected_totals(points: list[Point], size_ms: int, by: tuple[str, ...] = ()) -> dict[tuple, float]:
    """Independent expected sums: (window_start, metric, *values) → sum, for points carrying all `by` attrs."""
    out: dict[tuple, float] = {}
    for p in points:
        if any(not p.attrs.get(a) for a in by):
            continue
        key = (p.ts - p.ts % size_ms, p.metric, *(p.attrs[a] for a in by))
        out[key] = out.get(key, 0.0) + p.value
    return out


def expected_users(points: list[Point], size_ms: int) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for p in points:
        user = p.attrs.get("user.email") or p.attrs.get("user.id")
        out.setdefault(p.ts - p.ts % size_ms, set()).add(user)
    return out
