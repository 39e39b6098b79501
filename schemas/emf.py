"""awsemf EMF lines → typed data points, for every shape awsemf writes and any hostile variation of it.

Shapes (see `real-telemetry.md` §4; all keys sorted by byte value, values mixed among the attributes):
- **v1**: `_aws = {"Timestamp": <ms>, "CloudWatchMetrics": [{"Namespace", "Dimensions", "Metrics": [{"Name",
  "Unit", "StorageResolution"}]}]}`. Values are the declared names and any `claude_code.*` key; every other key is
  an attribute (a stray number or bool is kept as its text: awsemf writes every label as a string).
- **v0** (`"Version": "0"`): no `_aws`; a top-level `"Timestamp": "<ms string>"` and `"CloudWatchMetrics"`.
  Values as in v1.
- **no metadata** (a group no metric declaration selects, or `disable_metric_extraction`): only labels and
  values. Numbers are values, strings are labels, and the time is the CloudWatch log event's timestamp, which the
  caller passes as `event_timestamp_ms`. Such a line must carry `OTelLib` or a `claude_code.*` key (else
  `not_emf`): a stray `{"a": 1}` is not a metric named `a`.

Bad lines raise `EmfError` with a stable `reason`; bad single values (and attributes that had to be cut or
dropped) inside a good line come back as `Rejected`, so the rest of the line still counts. Limits that input can
reach (`LineLimits`) degrade deterministically: the same line always gives the same points and the same rejects.
No input makes this module raise anything but `EmfError`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import msgspec

from schemas.catalogue import EMF_RESERVED_KEYS, METRICS, is_metric_name

#: Largest value accepted for a single data point (far above any real token count per export).
MAX_VALUE = 1e15
#: Largest EMF line accepted (CloudWatch Logs' own event limit is 1 MiB).
MAX_LINE_BYTES = 1 << 20
#: What awsemf (and CloudWatch Logs) append to an event cut at 256 KiB − 26 B: the JSON is invalid.
TRUNCATED_SUFFIX = "[Truncated...]"
#: 2025-01-01T00:00:00Z and 2100-01-01T00:00:00Z: the lake's partition projection range (`schemas.lake`).
MIN_TIMESTAMP_MS = 1_735_689_600_000
MAX_TIMESTAMP_MS = 4_102_444_800_000

#: Reasons of `Rejected` entries whose line still counted (an attribute or a unit was cut or dropped, not a value).
DEGRADED_REASONS = frozenset(
    {"attribute_truncated", "labels_limited", "bad_attribute_type", "attribute_name_too_long", "bad_unit"}
)


@dataclass(frozen=True)
class LineLimits:
    """What one line may carry before it degrades (deterministically, and counted by reason)."""

    max_line_bytes: int = MAX_LINE_BYTES  # longer lines: EmfError("oversized_line")
    max_value_chars: int = 1024  # longer attribute values are cut to this ("attribute_truncated")
    max_name_chars: int = 256  # longer attribute names are dropped ("attribute_name_too_long")
    max_labels: int = 128  # attributes beyond this are dropped, catalogue ones kept first ("labels_limited")
    max_points: int = 64  # values beyond this, in key order, are not counted ("points_limited")
    min_timestamp_ms: int = MIN_TIMESTAMP_MS  # event times outside [min, max) → "timestamp_out_of_range"
    max_timestamp_ms: int = MAX_TIMESTAMP_MS

    def __post_init__(self) -> None:
        if min(self.max_line_bytes, self.max_value_chars, self.max_name_chars, self.max_labels, self.max_points) < 1:
            raise ValueError(f"every line limit must be at least 1: {self}")
        if self.min_timestamp_ms >= self.max_timestamp_ms:
            raise ValueError(f"empty timestamp range: {self}")


DEFAULT_LIMITS = LineLimits()


class DataPoint(msgspec.Struct, frozen=True, gc=False):
    """One metric value at one event time with its attributes."""

    timestamp_ms: int
    metric: str
    value: float
    unit: str
    attributes: dict[str, str]


class Rejected(msgspec.Struct, frozen=True, gc=False):
    """One metric value (or attribute) of an otherwise good line that cannot be counted as it is."""

    metric: str
    reason: str
    raw: str


class EmfError(ValueError):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


_decode_line = msgspec.json.Decoder(dict[str, Any]).decode


def parse_line(
    line: str | bytes, event_timestamp_ms: int | None = None, limits: LineLimits = DEFAULT_LIMITS
) -> tuple[list[DataPoint], list[Rejected]]:
    """Decode one EMF line. Raises EmfError(reason) when the line as a whole is unusable.

    `event_timestamp_ms` is the log event's time: the time of lines without EMF metadata."""
    if len(line) > limits.max_line_bytes:
        raise EmfError("oversized_line", f"{len(line)} bytes")
    tail = line[-len(TRUNCATED_SUFFIX) :]
    if tail == TRUNCATED_SUFFIX or tail == TRUNCATED_SUFFIX.encode():
        raise EmfError("truncated", f"event cut at {len(line)} bytes by the exporter")
    try:
        doc = _decode_line(line)
    except (msgspec.ValidationError, msgspec.DecodeError):
        doc = _decode_slow(line)  # only bad lines pay for this: classify them precisely
    return parse_document(doc, event_timestamp_ms, limits)


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


def _timestamp(raw: Any, where: str, limits: LineLimits, *, text: bool = False) -> int:
    """A line's time in ms from a JSON number (or, with `text` for v0, a string of digits); EmfError when unusable:
    `no_timestamp` (missing or not a number), `timestamp_out_of_range`."""
    if text and isinstance(raw, str) and 0 < len(raw) <= 16 and raw.isascii() and raw.isdigit():
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise EmfError("no_timestamp", f"{where}={_short(raw)}")
    if not limits.min_timestamp_ms <= raw < limits.max_timestamp_ms:  # also false for NaN; no float() of a huge int
        raise EmfError("timestamp_out_of_range", f"{where}={_short(raw)}")
    return int(raw)


def _declared_metrics(directives: Any, rejected: list[Rejected]) -> dict[str, str]:
    """Metric name → unit from a `CloudWatchMetrics` list; EmfError("bad_metadata") for any wrong type but a
    unit's: a unit that is not a string is no unit (`bad_unit`, the value still counts — units are CloudWatch's
    metadata, the aggregates do not need them)."""
    if not isinstance(directives, list):
        raise EmfError("bad_metadata", f"CloudWatchMetrics is {type(directives).__name__}, not a list")
    declared: dict[str, str] = {}
    for directive in directives:
        if not isinstance(directive, dict):
            raise EmfError("bad_metadata", "a CloudWatchMetrics entry is not an object")
        metrics = directive.get("Metrics", [])
        dims = directive.get("Dimensions", [])
        if not isinstance(metrics, list):
            raise EmfError("bad_metadata", f"Metrics is {type(metrics).__name__}, not a list")
        if not isinstance(dims, list) or not all(
            isinstance(d, list) and all(isinstance(n, str) for n in d) for d in dims
        ):
            raise EmfError("bad_metadata", "Dimensions is not a list of lists of names")
        for metric in metrics:
            name = metric.get("Name") if isinstance(metric, dict) else None
            if not isinstance(name, str):
                raise EmfError("bad_metadata", f"bad Metrics entry {_short(metric)}")
            unit = metric.get("Unit", "")
            if not isinstance(unit, str | None):
                rejected.append(Rejected(name, "bad_unit", _short(unit)))
                unit = ""
            declared.setdefault(name, unit or "")
    return declared


def parse_document(
    doc: dict[str, Any], event_timestamp_ms: int | None = None, limits: LineLimits = DEFAULT_LIMITS
) -> tuple[list[DataPoint], list[Rejected]]:
    aws = doc.get("_aws")
    numbers_are_values = False
    rejected: list[Rejected] = []
    if aws is not None:
        if not isinstance(aws, dict):
            raise EmfError("bad_metadata", f"_aws is {type(aws).__name__}, not an object")
        timestamp_ms = _timestamp(aws.get("Timestamp"), "_aws.Timestamp", limits)
        declared = _declared_metrics(aws.get("CloudWatchMetrics", []), rejected)
    elif "CloudWatchMetrics" in doc or doc.get("Version") == "0":
        timestamp_ms = _timestamp(doc.get("Timestamp"), "Timestamp", limits, text=True)
        declared = _declared_metrics(doc.get("CloudWatchMetrics", []), rejected)
    else:
        if "OTelLib" not in doc and not any(map(is_metric_name, doc)):
            raise EmfError("not_emf", "no EMF metadata, no OTelLib and no claude_code.* key")
        if event_timestamp_ms is None:
            raise EmfError("no_timestamp", "line without EMF metadata and no log event time")
        timestamp_ms = _timestamp(event_timestamp_ms, "log event timestamp", limits)
        declared = {}
        numbers_are_values = True
    reserved = EMF_RESERVED_KEYS if aws is not None else _V0_RESERVED

    attributes: dict[str, str] = {}
    values: dict[str, Any] = {}
    for key, val in doc.items():
        if key in reserved:
            continue
        if key in declared or is_metric_name(key):
            values[key] = val
        elif isinstance(val, str):
            attributes[key] = val
        elif _is_value(val, numbers_are_values):
            values[key] = val
        elif isinstance(val, bool):
            attributes[key] = "true" if val else "false"
        elif isinstance(val, int | float):
            attributes[key] = _short(val)
        else:
            rejected.append(Rejected(key, "bad_attribute_type", _short(val)))
    for name in declared:
        if name not in values:
            values[name] = None

    if not values:
        raise EmfError("no_metrics", "line declares and carries no metric value")

    attributes = _limit_attributes(attributes, limits, rejected)
    points: list[DataPoint] = []
    names = list(values)  # key order of the line: deterministic
    if len(names) > limits.max_points:
        dropped = names[limits.max_points :]
        rejected.append(Rejected(dropped[0], "points_limited", f"{len(dropped)} values beyond {limits.max_points}"))
        names = names[: limits.max_points]
    budget = limits.max_points  # list values (an EMF array of values) count item by item
    for name in names:
        raw = values[name]
        # The declared unit wins, even "" (what awsemf writes for unit-less metrics); else the catalogue's.
        unit = declared[name] if name in declared else (METRICS[name].emf_unit if name in METRICS else "")
        items = raw if isinstance(raw, list) else (raw,)
        if not items:  # an empty EMF value array: nothing to count, but the line must not vanish unnoticed
            rejected.append(Rejected(name, "missing_value", "[]"))
            continue
        if len(items) > budget:
            extra = f"{len(items) - budget} values beyond {limits.max_points}"
            rejected.append(Rejected(name, "points_limited", extra))
            items = items[:budget]
        budget -= len(items)
        for item in items:
            reason = _value_problem(item)
            if reason:
                rejected.append(Rejected(name, reason, _short(item)))
            else:
                points.append(DataPoint(timestamp_ms, name, float(item), unit, attributes))
    return points, rejected


_V0_RESERVED = frozenset({*EMF_RESERVED_KEYS, "Timestamp", "CloudWatchMetrics"})
_HISTOGRAM_KEYS = frozenset({"Max", "Min", "Count", "Sum"})


def _is_histogram(v: dict[str, Any]) -> bool:
    return bool(v) and set(v) <= _HISTOGRAM_KEYS


def _is_value(v: Any, numbers_are_values: bool) -> bool:
    """A histogram object, or (in a line without EMF metadata) any number."""
    if isinstance(v, dict):
        return _is_histogram(v)
    return numbers_are_values and isinstance(v, int | float) and not isinstance(v, bool)


def _limit_attributes(attributes: dict[str, str], limits: LineLimits, rejected: list[Rejected]) -> dict[str, str]:
    """Cut long values, drop long names and labels beyond the limit (catalogue attributes first, then byte order)."""
    from schemas.catalogue import KNOWN_ATTRIBUTES

    out: dict[str, str] = {}
    for key, val in attributes.items():
        if len(key) > limits.max_name_chars:
            rejected.append(Rejected(key[:200], "attribute_name_too_long", f"{len(key)} chars"))
            continue
        if len(val) > limits.max_value_chars:
            rejected.append(Rejected(key, "attribute_truncated", f"{len(val)} chars cut to {limits.max_value_chars}"))
            val = val[: limits.max_value_chars]
        out[key] = val
    if len(out) <= limits.max_labels:
        return out
    known = [k for k in KNOWN_ATTRIBUTES if k in out]
    rest = sorted(k for k in out if k not in KNOWN_ATTRIBUTES)
    keep = (known + rest)[: limits.max_labels]
    rejected.append(Rejected("", "labels_limited", f"{len(out)} labels, kept {limits.max_labels}"))
    return {k: out[k] for k in sorted(keep)}


def _short(v: Any) -> str:
    try:
        text = repr(v)
    except ValueError:  # an int with more digits than Python converts to text
        return f"<{type(v).__name__} too long to show>"
    return text if len(text) <= 200 else text[:200] + "…"


def _value_problem(v: Any) -> str | None:
    if v is None:
        return "missing_value"
    if isinstance(v, dict) and _is_histogram(v):
        return "histogram_value"  # Claude Code sends no histograms; counted, never guessed into a sum
    if isinstance(v, bool) or not isinstance(v, int | float):
        return "non_numeric_value"
    if isinstance(v, float) and not math.isfinite(v):
        return "non_finite_value"
    if v < 0:
        return "negative_value"
    if v > MAX_VALUE:  # before any float(): a huge int would overflow it
        return "value_out_of_range"
    return None
