"""awsemf EMF lines → typed data points.

One line (awsemf v1, keys sorted, metric values last) carries one label set, one `_aws.Timestamp` (ms) and one or
more metric values: metrics with equal labels and timestamp are merged into one line. Resource attributes are at
the top level (`resource_to_telemetry_conversion`). Everything that is not `_aws`, `Version` or a metric value is
an attribute.

Bad lines raise `EmfError` with a stable `reason`; bad single values inside a good line are returned as
`Rejected` so the rest of the line still counts.
"""

from __future__ import annotations

import json
import math
from typing import Any

import msgspec

from schemas.catalogue import EMF_RESERVED_KEYS, METRICS, is_metric_name

#: Largest value accepted for a single data point (far above any real token count per export).
MAX_VALUE = 1e15
#: Largest EMF line accepted (CloudWatch Logs' own event limit is 1 MiB).
MAX_LINE_BYTES = 1 << 20


class DataPoint(msgspec.Struct, frozen=True, gc=False):
    """One metric value at one event time with its attributes."""

    timestamp_ms: int
    metric: str
    value: float
    unit: str
    attributes: dict[str, str]


class Rejected(msgspec.Struct, frozen=True, gc=False):
    """One metric value of an otherwise good line that cannot be counted."""

    metric: str
    reason: str
    raw: str


class EmfError(ValueError):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


_decode_line = msgspec.json.Decoder(dict[str, Any]).decode


def parse_line(line: str | bytes) -> tuple[list[DataPoint], list[Rejected]]:
    """Decode one EMF line. Raises EmfError(reason) when the line as a whole is unusable."""
    if len(line) > MAX_LINE_BYTES:
        raise EmfError("oversized_line", f"{len(line)} bytes")
    try:
        doc = _decode_line(line)
    except (msgspec.ValidationError, msgspec.DecodeError):
        doc = _decode_slow(line)  # only bad lines pay for this: classify them precisely
    return parse_document(doc)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _decode_slow(line: str | bytes) -> dict[str, Any]:
    """Classify a line the fast decoder refused: not JSON at all (`bad_json`), JSON but not an object
    (`not_emf`), or an object whose numbers overflow a double (kept, so the value becomes `non_finite_value`)."""
    try:
        doc = json.loads(line, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise EmfError("bad_json", str(exc)[:200]) from exc
    if not isinstance(doc, dict):
        raise EmfError("not_emf", "not a JSON object")
    return doc


def parse_document(doc: dict[str, Any]) -> tuple[list[DataPoint], list[Rejected]]:
    aws = doc.get("_aws")
    if not isinstance(aws, dict):
        raise EmfError("not_emf", "no _aws metadata")
    ts = aws.get("Timestamp")
    if isinstance(ts, bool) or not isinstance(ts, int | float) or not math.isfinite(ts) or ts <= 0:
        raise EmfError("no_timestamp", f"_aws.Timestamp={ts!r}")
    timestamp_ms = int(ts)

    declared: dict[str, str] = {}
    directives = aws.get("CloudWatchMetrics") or []
    if not isinstance(directives, list):
        raise EmfError("not_emf", "_aws.CloudWatchMetrics is not a list")
    for directive in directives:
        for metric in (directive or {}).get("Metrics", ()) if isinstance(directive, dict) else ():
            if isinstance(metric, dict) and isinstance(metric.get("Name"), str):
                declared[metric["Name"]] = str(metric.get("Unit") or "")

    attributes: dict[str, str] = {}
    values: dict[str, Any] = {}
    for key, val in doc.items():
        if key in EMF_RESERVED_KEYS:
            continue
        if key in declared or is_metric_name(key):
            values[key] = val
        elif isinstance(val, str):
            attributes[key] = val
        elif val is not None and not isinstance(val, dict | list):
            attributes[key] = str(val)
    for name in declared:
        if name not in values:
            values[name] = None

    if not values:
        raise EmfError("no_metrics", "line declares and carries no metric value")

    points: list[DataPoint] = []
    rejected: list[Rejected] = []
    for name, raw in values.items():
        unit = declared.get(name) or (METRICS[name].emf_unit if name in METRICS else "")
        for item in raw if isinstance(raw, list) else (raw,):
            reason = _value_problem(item)
            if reason:
                rejected.append(Rejected(name, reason, repr(item)[:200]))
            else:
                points.append(DataPoint(timestamp_ms, name, float(item), unit, attributes))
    return points, rejected


def _value_problem(v: Any) -> str | None:
    if v is None:
        return "missing_value"
    if isinstance(v, bool) or not isinstance(v, int | float):
        return "non_numeric_value"
    if not math.isfinite(v):
        return "non_finite_value"
    if v < 0:
        return "negative_value"
    if v > MAX_VALUE:
        return "value_out_of_range"
    return None
