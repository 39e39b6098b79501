"""Every engine's totals in one shape, and the key-by-key comparison `benchmarks/peers.py` fails on.

A total is keyed ("G", size, window start ms, group key, metric) for sums per group, ("U", size, start, user,
metric) for sums per user and ("D", size, start, "", "") for distinct users. Only Claude Code's own metrics
(`claude_code.*`) are compared: our pipeline also sums derived values (priced cost), which no peer computes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.references import NaiveAggregator
from consumers.aggregates.partials import UserPartial, WindowPartial
from consumers.pipeline import ShardPipeline

Key = tuple[str, str, int, str, str]
Totals = dict[Key, float]
METRIC_PREFIX = "claude_code."


def _add(out: Totals, key: Key, value: float) -> None:
    out[key] = out.get(key, 0.0) + value


def of_pipeline(pipeline: ShardPipeline) -> Totals:
    out: Totals = {}
    distinct: dict[tuple[str, int], set[str]] = {}
    for key, row in pipeline.rows.items():
        partial = row.partial
        if key.kind == "W" and isinstance(partial, WindowPartial):
            for group, sums in partial.sigs.items():
                for metric, value in sums.items():
                    if metric.startswith(METRIC_PREFIX):
                        _add(out, ("G", key.size, key.start_ms, group, metric), value)
        elif key.kind == "U" and isinstance(partial, UserPartial):
            distinct.setdefault((key.size, key.start_ms), set()).update(partial.users)
            for user, entry in partial.users.items():
                for metric, value in entry.sums.items():
                    if metric.startswith(METRIC_PREFIX):
                        _add(out, ("U", key.size, key.start_ms, user, metric), value)
    for (size, start), users in distinct.items():
        out[("D", size, start, "", "")] = float(len(users))
    return out


def of_naive(naive: NaiveAggregator) -> Totals:
    out: Totals = {}
    for (size, start), groups in naive.windows.items():
        for sig, sums in groups.items():
            group = "\x1f".join(v or "" for v in sig)
            for metric, value in sums.items():
                if metric.startswith(METRIC_PREFIX):
                    _add(out, ("G", size, start, group, metric), value)
    for (size, start), users in naive.users.items():
        out[("D", size, start, "", "")] = float(len(users))
        for user, entry in users.items():
            for metric, value in entry.sums.items():
                if metric.startswith(METRIC_PREFIX):
                    _add(out, ("U", size, start, user, metric), value)
    return out


def of_rows(groups: Iterable[Any], users: Iterable[Any], distinct: Iterable[Any]) -> Totals:
    """From [size, start_ms, key, metric, sum] and [size, start_ms, count] rows (bytewax, DuckDB)."""
    out: Totals = {}
    for kind, rows in (("G", groups), ("U", users)):
        for size, start, key, metric, value in rows:
            if metric.startswith(METRIC_PREFIX):
                _add(out, (kind, size, int(start), key, metric), float(value))
    for size, start, count in distinct:
        out[("D", size, int(start), "", "")] = float(count)
    return out


def _start_ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def of_flink(output_dir: Path) -> Totals:
    """From the JSON files of the Flink job's three filesystem sinks (window starts as UTC timestamp strings)."""

    def rows(name: str) -> Iterable[dict[str, Any]]:
        for path in sorted((output_dir / name).rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                for line in path.read_text().splitlines():
                    if line.strip():
                        yield json.loads(line)

    return of_rows(
        ([r["size"], _start_ms(r["ws"]), r["k"], r["metric"], r["total"]] for r in rows("out_groups")),
        ([r["size"], _start_ms(r["ws"]), r["k"], r["metric"], r["total"]] for r in rows("out_users")),
        ([r["size"], _start_ms(r["ws"]), r["n"]] for r in rows("out_distinct")),
    )


def differences(expected: Totals, actual: Totals, limit: int = 5) -> list[str]:
    """What differs, key by key (empty when every key and value matches; sums to 1e-9 relative)."""
    out: list[str] = []
    missing = expected.keys() - actual.keys()
    extra = actual.keys() - expected.keys()
    common = expected.keys() & actual.keys()
    wrong = [k for k in common if not math.isclose(expected[k], actual[k], rel_tol=1e-9, abs_tol=1e-9)]
    for label, keys in (("missing", missing), ("unexpected", extra), ("different", wrong)):
        if keys:
            shown = sorted(keys)[:limit]
            detail = "; ".join(f"{k}: want {expected.get(k)} got {actual.get(k)}" for k in shown)
            out.append(f"{len(keys):,} {label} (e.g. {detail})")
    return out
