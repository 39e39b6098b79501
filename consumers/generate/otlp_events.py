"""The simulator's exports as the OTLP/HTTP JSON logs (events) the Claude Code CLI sends next to its metrics.

One `ExportLogsServiceRequest` per export, consistent with the export's metric deltas: per model, one `api_request`
carrying the export's tokens by type and its cost (`cost_usd_micros` = the `cost.usage` delta in micro-dollars,
`cost_usd` the same as a double), with a duration and time to first token drawn deterministically from the
session, time and model; one `user_prompt` (no text: `prompt` is `<REDACTED>`, as the CLI sends it by default);
per `code_edit_tool.decision`, that many `tool_decision` events and, for accepted ones, a `tool_result` (success,
duration as strings, as the real CLI sends them). Shapes as observed (real-telemetry.md §3, tests/fixtures/events):
scope `com.anthropic.claude_code.events`, body `claude_code.<name>`, `event.name`, `event.timestamp`,
`event.sequence`, `prompt.id`, the common attributes, ints as `intValue` strings.
Simplification: the simulator's own words for `query_source` (`main`, `auxiliary`), not the CLI's event words.
"""

from __future__ import annotations

import hashlib
import math
import random
from datetime import UTC, datetime

import msgspec

from consumers.generate.otlp import AttrValue, common_point_attributes, resource_attributes
from consumers.generate.population import BACKGROUND_MODELS
from consumers.generate.simulator import Export
from schemas import catalogue as cat

EVENTS_SCOPE = "com.anthropic.claude_code.events"
LOGS_PATH = "/v1/logs"
NS_PER_MS = 1_000_000
_BACKGROUND = frozenset(name for name, _ in BACKGROUND_MODELS)
_TOKEN_FIELDS = {
    "input": "input_tokens",
    "output": "output_tokens",
    "cacheRead": "cache_read_tokens",
    "cacheCreation": "cache_creation_tokens",
}


def _value(v: AttrValue | int | float) -> dict[str, object]:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    return {"stringValue": v}


def _rng(export: Export, salt: str) -> random.Random:
    seed = hashlib.sha256(f"{export.labels.labels['session.id']}:{export.timestamp_ms}:{salt}".encode()).digest()
    return random.Random(int.from_bytes(seed[:8], "big"))


def events_of(export: Export) -> list[tuple[int, str, dict[str, AttrValue | int | float]]]:
    """(time ms, event name, event attributes) of one export, in time order."""
    common = common_point_attributes(export)
    prompt_id = hashlib.sha256(
        f"prompt:{export.labels.labels['session.id']}:{export.timestamp_ms}".encode()
    ).hexdigest()
    out: list[tuple[int, str, dict[str, AttrValue | int | float]]] = []
    ts = export.timestamp_ms - 30_000  # the minute's work, before the export that reports it
    tokens: dict[str, dict[str, int]] = {}
    cost: dict[str, float] = {}
    decisions: list[tuple[dict[str, str], int]] = []
    for key, values in export.series.items():
        labels = dict(key)
        if cat.TOKEN_USAGE in values and "model" in labels:
            field = _TOKEN_FIELDS.get(labels.get("type", ""))
            if field:
                model_tokens = tokens.setdefault(labels["model"], {})
                model_tokens[field] = model_tokens.get(field, 0) + int(values[cat.TOKEN_USAGE])
        if cat.COST_USAGE in values and "model" in labels:
            cost[labels["model"]] = cost.get(labels["model"], 0.0) + float(values[cat.COST_USAGE])
        if cat.CODE_EDIT_DECISION in values:
            decisions.append((labels, int(values[cat.CODE_EDIT_DECISION])))
    if not tokens and not decisions:
        return out
    out.append((ts, "user_prompt", {**common, "prompt.id": prompt_id, "prompt_length": "42", "prompt": "<REDACTED>"}))
    for model in sorted(tokens):
        rng = _rng(export, model)
        ts += 1 + rng.randrange(2_000)
        duration = max(1, round(rng.lognormvariate(math.log(4_000 if model not in _BACKGROUND else 900), 0.6)))
        micros = round(cost.get(model, 0.0) * 1e6)
        attrs: dict[str, AttrValue | int | float] = {
            **common,
            "prompt.id": prompt_id,
            "model": model,
            **tokens[model],
            "cost_usd": micros / 1e6,
            "cost_usd_micros": micros,
            "duration_ms": duration,
            "ttft_ms": max(1, round(duration * rng.uniform(0.1, 0.4))),
            "speed": "normal",
            "query_source": "auxiliary" if model in _BACKGROUND else "main",
        }
        out.append((ts, "api_request", attrs))
    for labels, n in decisions:
        for i in range(n):
            rng = _rng(export, f"{labels.get('tool_name')}:{i}")
            ts += 1 + rng.randrange(1_000)
            decision: dict[str, AttrValue | int | float] = {
                k: labels[k] for k in ("decision", "source", "tool_name") if k in labels
            }
            mode = "acceptEdits" if labels.get("source") == "config" else "default"
            out.append((ts, "tool_decision", {**common, "prompt.id": prompt_id, **decision, "permission_mode": mode}))
            if labels.get("decision") == "accept":
                ok = rng.random() < 0.96
                result = {"tool_name": labels.get("tool_name", ""), "success": "true" if ok else "false"}
                result["duration_ms"] = str(max(1, round(rng.lognormvariate(math.log(60), 0.8))))
                out.append((ts + 5, "tool_result", {**common, "prompt.id": prompt_id, **result}))
    return out


def logs_request_of(export: Export) -> dict[str, object] | None:
    """The `ExportLogsServiceRequest` (JSON mapping) of one export; None when it has no events."""
    events = events_of(export)
    if not events:
        return None
    records = []
    for seq, (ts, name, attrs) in enumerate(events):
        stamp = datetime.fromtimestamp(ts / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts % 1000:03d}Z"
        full = {**attrs, "event.name": name, "event.timestamp": stamp, "event.sequence": seq}
        records.append(
            {
                "timeUnixNano": str(ts * NS_PER_MS),
                "observedTimeUnixNano": str(ts * NS_PER_MS),
                "body": {"stringValue": f"claude_code.{name}"},
                "attributes": [{"key": k, "value": _value(v)} for k, v in full.items()],
            }
        )
    version = export.user.labels["service.version"]
    resource = [{"key": k, "value": {"stringValue": v}} for k, v in resource_attributes(export.user).items()]
    return {
        "resourceLogs": [
            {
                "resource": {"attributes": resource},
                "scopeLogs": [{"scope": {"name": EVENTS_SCOPE, "version": version}, "logRecords": records}],
            }
        ]
    }


_encode = msgspec.json.Encoder().encode


def encode_logs_request(export: Export) -> bytes | None:
    doc = logs_request_of(export)
    return None if doc is None else _encode(doc)
