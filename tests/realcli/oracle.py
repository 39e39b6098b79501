"""Independent expected values from the OTLP JSON the CLI sent (the collector's file tap), standard library only.

Nothing here imports ccstream. The rules are written out again from the product's documented contract and the
awsemf facts in `shared/reference/real-telemetry.md`:
- a data point is one OTLP Sum/Gauge point; its time is `timeUnixNano` in whole ms (awsemf's `Timestamp`);
- its labels are the resource attributes overlaid on the point attributes (resource wins, as
  `resource_to_telemetry_conversion` does), every value turned into a string (`true` for a bool);
- windows are epoch-aligned tumbling windows `[start, start + size)`;
- a point counts towards a grouping only when it carries every attribute of it;
- a user is `user.email`, falling back to `user.id`; `sessions` counts distinct `session.id`;
- the collector's own label changes, as `collector/config.yaml` declares them (`CollectorLabels`): its attributes
  processor inserts defaults for absent aggregate dimensions, its resource processor sets `deployment.environment`,
  its transform/trim block deletes `os.*`, `host.arch`, `user.account_*` and `anthropic.custom_base_url`.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WINDOWS_MS = {"1m": 60_000, "1h": 3_600_000, "1d": 86_400_000}


@dataclass(frozen=True)
class OtlpPoint:
    ts_ms: int
    metric: str
    value: float
    labels: dict[str, str]
    temporality: int


@dataclass(frozen=True)
class CollectorLabels:
    """What the collector's processors do to labels (without request headers): insert-if-absent, resource upsert."""

    inserted: tuple[tuple[str, str], ...] = (
        ("department", "unspecified"),
        ("team.id", "default-team"),
        ("cost_center", "general"),
    )
    deployment_environment: str = "local"
    trimmed: str = r"^(os[.]|host[.]arch|user[.]account_|anthropic[.]custom)"

    def trim(self, labels: dict[str, str]) -> dict[str, str]:
        return {k: v for k, v in labels.items() if not re.match(self.trimmed, k)}


def _scalar(value: dict[str, Any]) -> str | None:
    if "stringValue" in value:
        return str(value["stringValue"])
    if "boolValue" in value:
        return "true" if value["boolValue"] else "false"
    if "intValue" in value:
        return str(int(value["intValue"]))
    if "doubleValue" in value:
        return repr(float(value["doubleValue"]))
    return None  # arrays and maps are not labels


def _attributes(items: Iterable[dict[str, Any]]) -> dict[str, str]:
    out = {}
    for item in items:
        v = _scalar(item.get("value") or {})
        if v is not None:
            out[str(item["key"])] = v
    return out


def tap_requests(path: Path) -> list[dict[str, Any]]:
    """Every JSON object of a file tap (one per line), metrics and logs alike."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def metric_points(requests: Iterable[dict[str, Any]], collector: CollectorLabels | None = None) -> Iterator[OtlpPoint]:
    """The points as the CLI sent them, or (with `collector`) as they leave the collector's processors."""
    for req in requests:
        for rm in req.get("resourceMetrics", []):
            resource = _attributes((rm.get("resource") or {}).get("attributes", []))
            if collector is not None:
                resource = collector.trim(resource)
                resource["deployment.environment"] = collector.deployment_environment
            for sm in rm.get("scopeMetrics", []):
                for m in sm.get("metrics", []):
                    data = m.get("sum") or m.get("gauge")
                    if data is None:
                        continue
                    temporality = int(data.get("aggregationTemporality", 0))
                    for dp in data.get("dataPoints", []):
                        raw = dp.get("asDouble", dp.get("asInt"))
                        if raw is None:
                            continue
                        point = _attributes(dp.get("attributes", []))
                        if collector is not None:
                            point = collector.trim({**dict(collector.inserted), **point})
                        labels = {**point, **resource}
                        ts_ms = int(dp["timeUnixNano"]) // 1_000_000
                        yield OtlpPoint(ts_ms, str(m["name"]), float(raw), labels, temporality)


def log_records(requests: Iterable[dict[str, Any]]) -> Iterator[dict[str, str]]:
    """Each event's attributes (plus `body`)."""
    for req in requests:
        for rl in req.get("resourceLogs", []):
            for sl in rl.get("scopeLogs", []):
                for lr in sl.get("logRecords", []):
                    attrs = _attributes(lr.get("attributes", []))
                    attrs["body"] = str((lr.get("body") or {}).get("stringValue", ""))
                    yield attrs


def totals(points: Iterable[OtlpPoint], size_ms: int, by: tuple[str, ...]) -> dict[tuple[Any, ...], float]:
    """(window start, metric, *values of `by`) -> sum."""
    out: dict[tuple[Any, ...], float] = defaultdict(float)
    for p in points:
        if all(a in p.labels for a in by):
            out[(p.ts_ms - p.ts_ms % size_ms, p.metric, *(p.labels[a] for a in by))] += p.value
    return dict(out)


def user_of(labels: dict[str, str]) -> str | None:
    return labels.get("user.email") or labels.get("user.id")


def user_totals(points: Iterable[OtlpPoint], size_ms: int) -> dict[tuple[int, str, str], float]:
    """(window start, metric, user) -> sum."""
    out: dict[tuple[int, str, str], float] = defaultdict(float)
    for p in points:
        user = user_of(p.labels)
        if user is not None:
            out[(p.ts_ms - p.ts_ms % size_ms, p.metric, user)] += p.value
    return dict(out)


def distinct_counts(points: Iterable[OtlpPoint], size_ms: int) -> tuple[dict[int, int], dict[int, int]]:
    """(active users per window start, sessions per window start)."""
    users: dict[int, set[str]] = defaultdict(set)
    sessions: dict[int, set[str]] = defaultdict(set)
    for p in points:
        start = p.ts_ms - p.ts_ms % size_ms
        user = user_of(p.labels)
        if user is not None:
            users[start].add(user)
        if "session.id" in p.labels:
            sessions[start].add(p.labels["session.id"])
    return {k: len(v) for k, v in users.items()}, {k: len(v) for k, v in sessions.items()}
