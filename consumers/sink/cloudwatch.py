"""CloudWatch metrics for native dashboard widgets and alarms: one PutMetricData set per closed window.

`metric_data_for_window` is pure: a merged window partial in, MetricDatum dicts out, namespace `ClaudeCode`.
Dimensions come only from aggregate attributes — department, team.id, model — never from a user, so the number of
metrics stays in the low hundreds at any number of users (the seed's cost goal). Totals are also sent without
dimensions (including zeros, so graphs show quiet minutes as 0 rather than gaps). `CloudWatchPublisher` sends
the datums in requests of at most 1,000 datums and well under 1 MB.
"""

from __future__ import annotations

import hashlib
import json
import logging
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from consumers.aggregates.partials import Sums, WindowPartial
from consumers.aggregates.pricing import PRICED_COST
from schemas.catalogue import (
    ACTIVE_TIME,
    CODE_EDIT_DECISION,
    COMMITS,
    COST_USAGE,
    LINES_OF_CODE,
    PULL_REQUESTS,
    SESSION_COUNT,
    TOKEN_USAGE,
)

NAMESPACE = "ClaudeCode"
#: PutMetricData limits: 1,000 datums and 1 MB per request; we stay well below the byte limit.
MAX_DATUMS_PER_CALL = 1000
MAX_BYTES_PER_CALL = 900_000

TOKEN_TYPE_METRICS = {
    "input": "InputTokens",
    "output": "OutputTokens",
    "cacheRead": "CacheReadTokens",
    "cacheCreation": "CacheCreationTokens",
}

#: CloudWatch metric names published per window (see `metric_data_for_window`).
TOTAL_TOKENS = "TotalTokens"
CACHE_EFFICIENCY = "CacheEfficiency"
LINES_ADDED = "LinesAdded"
LINES_REMOVED = "LinesRemoved"
COMMITS_METRIC = "Commits"
PULL_REQUESTS_METRIC = "PullRequests"
SESSIONS = "Sessions"
COST_USD = "CostUSD"
PRICED_COST_USD = "PricedCostUSD"
ACTIVE_SECONDS = "ActiveTimeSeconds"
EDITS_ACCEPTED = "EditsAccepted"
EDITS_REJECTED = "EditsRejected"

#: Aggregate dimension sets (CloudWatch dimension names = the telemetry attribute names).
DIMENSION_SETS: tuple[tuple[str, ...], ...] = (("model",), ("department",), ("department", "team.id"))

#: Which metrics each dimension set carries.
_BY_MODEL = (TOTAL_TOKENS, *TOKEN_TYPE_METRICS.values(), COST_USD, PRICED_COST_USD)
_BY_ORG = (TOTAL_TOKENS, COST_USD, PRICED_COST_USD, LINES_ADDED, LINES_REMOVED, COMMITS_METRIC, PULL_REQUESTS_METRIC)
_METRICS_OF_SET = {("model",): _BY_MODEL, ("department",): _BY_ORG, ("department", "team.id"): _BY_ORG}

_UNITS = {
    TOTAL_TOKENS: "Count",
    **dict.fromkeys(TOKEN_TYPE_METRICS.values(), "Count"),
    CACHE_EFFICIENCY: "Percent",
    LINES_ADDED: "Count",
    LINES_REMOVED: "Count",
    COMMITS_METRIC: "Count",
    PULL_REQUESTS_METRIC: "Count",
    SESSIONS: "Count",
    COST_USD: "None",
    PRICED_COST_USD: "None",
    ACTIVE_SECONDS: "Seconds",
    EDITS_ACCEPTED: "Count",
    EDITS_REJECTED: "Count",
}


def named_values(partial: WindowPartial, by: tuple[str, ...]) -> dict[tuple[str, ...], dict[str, float]]:
    """CloudWatch metric name → value, per value tuple of `by` (`()` = totals over every signature)."""
    out: dict[tuple[str, ...], dict[str, float]] = {}
    for values, sums in _group(partial, by).items():
        out[values] = _named(sums, _signature_split(partial, by, values))
    return out


def _group(partial: WindowPartial, by: tuple[str, ...]) -> dict[tuple[str, ...], Sums]:
    if by:
        return partial.group_by(by)
    total: Sums = {}
    for sums in partial.sigs.values():
        for metric, v in sums.items():
            total[metric] = total.get(metric, 0.0) + v
    return {(): total}


def _signature_split(partial: WindowPartial, by: tuple[str, ...], values: tuple[str, ...]) -> dict[str, Sums]:
    """Sums of the signatures matching `values`, further split by `type` / `decision` (token types, lines, edits)."""
    out: dict[str, Sums] = {}
    type_at, decision_at = partial.attrs.index("type"), partial.attrs.index("decision")
    idx = [partial.attrs.index(a) for a in by]
    for key, sums in partial.sigs.items():
        parts = key.split("\x1f")
        if tuple(parts[i] for i in idx) != values:
            continue
        for split_key in (f"type={parts[type_at]}", f"decision={parts[decision_at]}"):
            bucket = out.setdefault(split_key, {})
            for metric, v in sums.items():
                bucket[metric] = bucket.get(metric, 0.0) + v
    return out


def _named(sums: Sums, split: dict[str, Sums]) -> dict[str, float]:
    def of(split_key: str, metric: str) -> float:
        return split.get(split_key, {}).get(metric, 0.0)

    named = {
        TOTAL_TOKENS: sums.get(TOKEN_USAGE, 0.0),
        **{name: of(f"type={t}", TOKEN_USAGE) for t, name in TOKEN_TYPE_METRICS.items()},
        LINES_ADDED: of("type=added", LINES_OF_CODE),
        LINES_REMOVED: of("type=removed", LINES_OF_CODE),
        COMMITS_METRIC: sums.get(COMMITS, 0.0),
        PULL_REQUESTS_METRIC: sums.get(PULL_REQUESTS, 0.0),
        SESSIONS: sums.get(SESSION_COUNT, 0.0),
        COST_USD: sums.get(COST_USAGE, 0.0),
        PRICED_COST_USD: sums.get(PRICED_COST, 0.0),
        ACTIVE_SECONDS: sums.get(ACTIVE_TIME, 0.0),
        EDITS_ACCEPTED: of("decision=accept", CODE_EDIT_DECISION),
        EDITS_REJECTED: of("decision=reject", CODE_EDIT_DECISION),
    }
    cached = named["CacheReadTokens"] + named["CacheCreationTokens"]
    if cached > 0:
        named[CACHE_EFFICIENCY] = 100.0 * named["CacheReadTokens"] / cached
    return named


def metric_data_for_window(window_start_ms: int, partial: WindowPartial, ratios: bool = True) -> list[dict[str, Any]]:
    """MetricDatum dicts for one closed window (its start is the datum timestamp; 60 s storage resolution).

    Every metric is a sum, so per-shard publishers add up correctly under the Sum statistic. `CacheEfficiency` is a
    ratio and only right for a whole window: pass `ratios=False` when each shard publishes its own partial (the
    dashboard then derives it with metric math from CacheReadTokens and CacheCreationTokens).
    """
    timestamp = datetime.fromtimestamp(window_start_ms / 1000, UTC)
    data: list[dict[str, Any]] = []

    def datum(name: str, value: float, dims: list[dict[str, str]]) -> dict[str, Any]:
        d: dict[str, Any] = {
            "MetricName": name,
            "Timestamp": timestamp,
            "Value": float(value),
            "Unit": _UNITS[name],
            "StorageResolution": 60,
        }
        if dims:
            d["Dimensions"] = dims
        return d

    for name, value in named_values(partial, ())[()].items():
        if ratios or name != CACHE_EFFICIENCY:
            data.append(datum(name, value, []))
    for dim_set in DIMENSION_SETS:
        for values, named in sorted(named_values(partial, dim_set).items()):
            dims = [{"Name": n, "Value": dimension_value(v)} for n, v in zip(dim_set, values, strict=True)]
            for name in _METRICS_OF_SET[dim_set]:
                if named.get(name):
                    data.append(datum(name, named[name], dims))
    return data


#: CloudWatch dimension values: 1-1,024 characters, ASCII, not only whitespace.
MAX_DIMENSION_CHARS = 1024


def dimension_value(value: str) -> str:
    """A value CloudWatch accepts, the same for the same input: accents folded (`Développement` → `Developpement`),
    other non-ASCII characters and control characters replaced by `_`, blank → `(none)`. A value that had to
    change (or is too long) gets `~` and 8 hex digits of its SHA-256, so two different values never merge."""
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    clean = "".join(c if " " <= c <= "~" else "_" for c in folded).strip()
    if clean == value and 0 < len(value) <= MAX_DIMENSION_CHARS:
        return value
    if not clean:
        clean = "(none)"
    tag = "~" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return clean[: MAX_DIMENSION_CHARS - len(tag)] + tag


def _size(datum: dict[str, Any]) -> int:
    return len(json.dumps(datum, default=str)) + 64


class CloudWatchPublisher:
    """Sends MetricDatum lists with PutMetricData in allowed chunks. The client is passed in."""

    def __init__(self, client: Any, namespace: str = NAMESPACE, log: Callable[[str], None] | None = None) -> None:
        self.client = client
        self.namespace = namespace
        self.calls = 0
        self.refused = 0  # datums CloudWatch refused even alone (validation), dropped and logged
        self._log = log or logging.getLogger(__name__).debug

    def publish(self, data: list[dict[str, Any]]) -> int:
        """Send every datum; returns the number of PutMetricData calls made."""
        calls = 0
        for chunk in chunks(data):
            try:
                self.client.put_metric_data(Namespace=self.namespace, MetricData=chunk)
            except Exception as exc:  # a refused chunk: send its datums in small pieces, skip only what is refused
                if not _is_invalid_request(exc) or len(chunk) == 1:
                    raise
                calls += self._publish_split(chunk)
                continue
            calls += 1
        self.calls += calls
        self._log(f"published {len(data)} datums to {self.namespace} in {calls} call(s)")
        return calls

    def _publish_split(self, chunk: list[dict[str, Any]]) -> int:
        """Send `chunk` again in halves, down to single datums; a single refused datum is logged and dropped."""
        calls = 0
        stack = [chunk[: len(chunk) // 2], chunk[len(chunk) // 2 :]]
        while stack:
            part = stack.pop()
            if not part:
                continue
            try:
                self.client.put_metric_data(Namespace=self.namespace, MetricData=part)
                calls += 1
            except Exception as exc:
                if not _is_invalid_request(exc):
                    raise
                if len(part) == 1:
                    self.refused += 1
                    logging.getLogger(__name__).warning("datum refused by CloudWatch, dropped: %s (%s)", part[0], exc)
                else:
                    stack += [part[: len(part) // 2], part[len(part) // 2 :]]
        return calls

    def publish_window(self, window_start_ms: int, partial: WindowPartial, ratios: bool = True) -> int:
        return self.publish(metric_data_for_window(window_start_ms, partial, ratios))


def _is_invalid_request(exc: Exception) -> bool:
    """A validation refusal (the request itself is wrong), as opposed to throttling or a server error."""
    code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
    return code in {"InvalidParameterValue", "InvalidParameterCombination", "MissingParameter", "ValidationError"}


def chunks(
    data: list[dict[str, Any]], max_datums: int = MAX_DATUMS_PER_CALL, max_bytes: int = MAX_BYTES_PER_CALL
) -> list[list[dict[str, Any]]]:
    """Split into requests of at most `max_datums` datums and about `max_bytes` bytes each."""
    out: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = 0
    for d in data:
        s = _size(d)
        if current and (len(current) >= max_datums or size + s > max_bytes):
            out.append(current)
            current, size = [], 0
        current.append(d)
        size += s
    if current:
        out.append(current)
    return out
