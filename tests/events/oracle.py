"""Expected event aggregates computed independently of ccstream: plain Python over plain event dicts.

An event here is `{"ts": ms, "name": "api_request", "attrs": {...}}` with the attribute values as sent (ints,
numeric strings, integral doubles, bools, "true"/"false"). `from_otlp` makes them from the OTLP/JSON log records
the CLI sent (the collector's file tap); `exporter_line` writes one the way the CloudWatch Logs exporter does.
Nothing in this file imports ccstream.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

WINDOWS_MS = {"1m": 60_000, "1h": 3_600_000, "1d": 86_400_000}
QUANTILE = {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99}
#: Resource attributes the exporter line keeps under "resource" (the CLI copies them onto the attributes too).
RESOURCE_KEYS = ("department", "team.id", "service.name", "service.version")


def otlp_value(v: dict[str, Any]) -> Any:
    if "stringValue" in v:
        return v["stringValue"]
    if "intValue" in v:
        return int(v["intValue"])
    if "doubleValue" in v:
        return float(v["doubleValue"])
    if "boolValue" in v:
        return bool(v["boolValue"])
    return None


def from_otlp(requests: Iterable[dict[str, Any]], defaults: dict[str, str] | None = None) -> Iterator[dict[str, Any]]:
    """Events from OTLP/JSON export requests. `defaults`: attributes the collector inserts when absent."""
    for req in requests:
        for rl in req.get("resourceLogs", []):
            resource = {a["key"]: otlp_value(a["value"]) for a in rl.get("resource", {}).get("attributes", [])}
            for sl in rl.get("scopeLogs", []):
                for rec in sl.get("logRecords", []):
                    attrs = {a["key"]: otlp_value(a["value"]) for a in rec.get("attributes", [])}
                    for k, v in (defaults or {}).items():
                        attrs.setdefault(k, v)
                    body = rec.get("body", {}).get("stringValue", "")
                    ts = int(rec.get("timeUnixNano") or 0) // 1_000_000
                    yield {"ts": ts, "name": body.removeprefix("claude_code."), "attrs": attrs, "resource": resource}


def exporter_line(event: dict[str, Any]) -> str:
    """The CloudWatch Logs exporter's JSON for one event (keys of each map sorted, as Go's encoding/json does)."""
    doc = {
        "body": f"claude_code.{event['name']}",
        "attributes": dict(sorted(event["attrs"].items())),
        "scope": {"name": "com.anthropic.claude_code.events", "version": "2.1.332"},
        "resource": dict(sorted(event.get("resource", {}).items())),
    }
    return json.dumps(doc, separators=(",", ":"))


def _int(v: Any) -> int | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, str):
        v = float(v)
    return round(v)


def _flag(v: Any) -> bool | None:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v in ("true", "false"):
        return v == "true"
    return None


def dim(event: dict[str, Any], name: str) -> str:
    attrs, resource = event["attrs"], event.get("resource", {})
    if name == "user":
        return str(attrs.get("user.email") or attrs.get("user.id") or "")
    v = attrs.get(name, resource.get(name))
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))  # a number attribute (status_code) groups by its integer value
    return str(v)


def expected(
    events: Iterable[dict[str, Any]], size_ms: int, name: str, field: str | None, stat: str, by: tuple[str, ...]
) -> dict[tuple[Any, ...], float]:
    """{(window start, *labels): value} for `events.<name>[.<field>] --stat <stat> --by <by>`."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for e in events:
        if e["name"] == name:
            groups[(e["ts"] - e["ts"] % size_ms, *(dim(e, a) for a in by))].append(e)
    out: dict[tuple[Any, ...], float] = {}
    for key, members in groups.items():
        values = [v for e in members if (v := _int(e["attrs"].get(field))) is not None] if field else []
        if stat == "count":
            out[key] = len(members)
        elif stat == "sum" and values:
            out[key] = sum(values)
        elif stat == "mean" and values:
            out[key] = sum(values) / len(members)
        elif stat == "success_rate":
            flags = [f for e in members if (f := _flag(e["attrs"].get("success"))) is not None]
            if flags:
                out[key] = sum(flags) / len(flags)
        elif stat in QUANTILE and values:
            ordered = sorted(values)
            out[key] = ordered[int(QUANTILE[stat] * (len(ordered) - 1))]
    return out


#: (name, field, stat, by) — every family, every kind of statistic.
QUERIES: list[tuple[str, str | None, str, tuple[str, ...]]] = [
    ("api_request", None, "count", ()),
    ("api_request", None, "count", ("model", "query_source", "agent.name", "effort", "team.id")),
    ("api_request", "cost_usd_micros", "sum", ("model",)),
    ("api_request", "input_tokens", "sum", ("agent.name",)),
    ("api_request", "output_tokens", "sum", ("query_source",)),
    ("api_request", "cache_creation_5m_tokens", "sum", ()),
    ("api_request", "cache_creation_1h_tokens", "sum", ()),
    ("api_request", "cost_usd_micros", "sum", ("user",)),
    ("api_request", "duration_ms", "mean", ("model",)),
    ("api_request", "duration_ms", "p50", ("model",)),
    ("api_request", "duration_ms", "p95", ("model",)),
    ("api_request", "ttft_ms", "p99", ()),
    ("api_error", None, "count", ("model", "status_code")),
    ("api_retries_exhausted", None, "count", ("status_code",)),
    ("api_retries_exhausted", "total_attempts", "sum", ("model",)),
    ("tool_decision", None, "count", ("tool_name", "decision", "source", "permission_mode")),
    ("tool_result", None, "count", ("tool_name",)),
    ("tool_result", None, "success_rate", ("tool_name",)),
    ("tool_result", "duration_ms", "p95", ("tool_name",)),
    ("compaction", None, "count", ("trigger", "success")),
    ("compaction", "pre_tokens", "sum", ()),
    ("subagent_completed", "total_tokens", "sum", ("agent_type", "model")),
    ("user_prompt", None, "count", ("user",)),
    ("user_prompt", None, "count", ("user", "session.id")),
]
