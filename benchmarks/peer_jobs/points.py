"""The job every engine runs, in engine-neutral terms (standard library only: imported inside the peers' venvs).

A data point of an EMF line is (event time ms, group key, user, metric, value): the metric values are the keys the
line's `_aws` directive declares or that start with `claude_code.`, numeric and not negative; the attributes are
the other string values; the group key is the groupable attributes' values joined by U+001F (missing = empty);
the user is `user.email`, else `user.id`. The job: for 1m, 1h and 1d tumbling event-time windows, the sum of each
metric per group key and per user, and the number of distinct users per window.

Totals travel as JSON: {"groups": [[size, start_ms, group, metric, sum]], "users": [[size, start_ms, user, metric,
sum]], "distinct": [[size, start_ms, count]], "points": n, "cpu": {...}}.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

SEPARATOR = "\x1f"
RESERVED = frozenset({"_aws", "Version"})

Point = tuple[int, str, str | None, str, float]


def points_of(doc: dict[str, Any], groupable: Sequence[str]) -> Iterator[Point]:
    aws = doc.get("_aws") or {}
    ts = aws.get("Timestamp")
    if not isinstance(ts, int):
        return
    declared = {m.get("Name") for d in aws.get("CloudWatchMetrics") or () for m in d.get("Metrics") or ()}
    attrs: dict[str, str] = {}
    values: list[tuple[str, float]] = []
    for key, val in doc.items():
        if key in RESERVED:
            continue
        if key in declared or key.startswith("claude_code."):
            if isinstance(val, int | float) and not isinstance(val, bool) and val >= 0:
                values.append((key, float(val)))
        elif isinstance(val, str):
            attrs[key] = val
    group = SEPARATOR.join(attrs.get(a) or "" for a in groupable)
    user = attrs.get("user.email") or attrs.get("user.id") or None
    for metric, value in values:
        yield ts, group, user, metric, value


def load_spec(path: str) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(Path(path).read_text())
    return spec


def write_totals(path: str | Path, totals: dict[str, Any]) -> None:
    Path(path).write_text(json.dumps(totals))


def process_tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds of `pid` and every live descendant (from /proc; a JVM a job started included)."""
    import os

    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, IndexError, ValueError):
            continue
    return total
