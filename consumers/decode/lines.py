"""EMF line → the facts the aggregates need: event time, label signature, user, session and (metric, value) pairs.

Two paths give the same `Line` for every line the fast one accepts (a hypothesis test checks it against the
generic parser):

- **fast**: msgspec decodes the line straight into a Struct holding `_aws.Timestamp`, the groupable attributes,
  user and session and the catalogue's metric values; every other key (≈ 15 resource attributes, the
  `CloudWatchMetrics` directive) is skipped without building a Python object. It takes only ordinary lines: no
  escapes, string attributes and units where it reads them (a null, a number or a list there sends the line to
  the generic path, which letters it), an integer timestamp in range, only catalogue metrics declared, each with a
  finite value in range, and `str.count` guards proving there is no other `claude_code.*` key (each name exactly
  twice in the line: declared in the directive and as a key) and no more keys than `max_labels` (without a
  backslash every `":` in a line ends a key). An over-long value among the fields it keeps sends the line to the
  generic path. What it skips changes nothing the aggregates store, so an over-long or wrongly typed attribute it
  never reads (a resource attribute that is null, a list or an object) is the lake's to cut or letter: the lake
  reads every line generically. Checking every key here would cost a scan per line (≈ 2 µs, a third of the read).
- **generic**: anything else goes through `schemas.emf.parse_line`, which keeps unknown metrics generically and
  turns bad values into `Rejected` (→ dead letters with their reason) while the rest of the line still counts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import msgspec

from schemas.catalogue import METRICS, NOT_A_SESSION_START_TYPE, user_key
from schemas.dimensions import GROUPABLE_ATTRIBUTES, Signature, signature_of
from schemas.emf import DEFAULT_LIMITS, MAX_VALUE, DataPoint, LineLimits, Rejected, parse_line

#: Metrics the fast path knows, in a fixed order (their Struct fields follow the attributes).
FAST_METRICS: tuple[str, ...] = tuple(sorted(METRICS))
_ATTRS = (*GROUPABLE_ATTRIBUTES, "user.email", "user.id", "session.id")
_SIG_END = len(GROUPABLE_ATTRIBUTES) + 1  # fields[1:_SIG_END] is the signature (field 0 is `_aws`)
_EMAIL, _ID, _SESSION = _SIG_END, _SIG_END + 1, _SIG_END + 2
_METRICS_START = _SIG_END + 3
#: How a line of the `claude agents` UI (`start_type=agents_view`, not a session) shows in awsemf's compact JSON.
_NOT_A_SESSION = f'"start_type":"{NOT_A_SESSION_START_TYPE}"'


class Line(msgspec.Struct, gc=False):
    """One EMF line as the aggregates see it. Every value in `values` is countable (bad ones were rejected)."""

    index: int  # position of the log event in its record
    timestamp_ms: int
    signature: Signature
    user: str | None
    session: str | None
    values: list[tuple[str, float]]


class _Metric(msgspec.Struct, gc=False):
    Name: str
    Unit: str | None = None  # validated only: a unit that is not a string is the generic path's `bad_unit`


class _Directive(msgspec.Struct, gc=False):
    Metrics: list[_Metric] = []
    Dimensions: list[list[str]] = []  # validated only: a wrong type sends the line to the generic path


class _Aws(msgspec.Struct, gc=False):
    Timestamp: int
    CloudWatchMetrics: list[_Directive] = []


def _line_struct() -> type:
    # Attributes are `str` with a None default: absent is None, an explicit null is not a string and sends the line
    # to the generic path, which letters it (`bad_attribute_type`). `OTelLib` is read for its type only.
    fields: list[tuple[str, object, object]] = [("aws", _Aws | None, None)]
    fields += [(f"a{i}", str, None) for i in range(len(_ATTRS))]
    fields += [(f"m{i}", float | None, None) for i in range(len(FAST_METRICS))]
    fields += [("lib", str, None)]
    rename = {"aws": "_aws", "lib": "OTelLib"} | {f"a{i}": n for i, n in enumerate(_ATTRS)}
    rename |= {f"m{i}": n for i, n in enumerate(FAST_METRICS)}
    return msgspec.defstruct("FastEmfLine", fields, rename=rename, gc=False)


#: The Struct the fast path decodes a line into (only the fields above; every other key is skipped).
FastEmfLine = _line_struct()
_decode_fast: Callable[[str], Any] = msgspec.json.Decoder(FastEmfLine).decode
_astuple = msgspec.structs.astuple
#: Where each catalogue metric's value sits in `astuple` of the decoded line.
_VALUE_AT = {name: _METRICS_START + i for i, name in enumerate(FAST_METRICS)}


def read_fast(index: int, line: str, limits: LineLimits = DEFAULT_LIMITS) -> Line | None:
    """The fast path; None means "not ordinary, use `read_generic`" (never a verdict on the line)."""
    if len(line) > limits.max_line_bytes or "\\" in line or line.count('":') > limits.max_labels:
        return None
    if _NOT_A_SESSION in line:
        return None  # the `claude agents` UI: the generic path keeps its values and leaves its session out
    try:
        fields = _astuple(_decode_fast(line))
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    aws = fields[0]
    if aws is None or not limits.min_timestamp_ms <= aws.Timestamp < limits.max_timestamp_ms:
        return None
    if len(line) > limits.max_value_chars:
        cap = limits.max_value_chars
        if any(v is not None and len(v) > cap for v in fields[1:_METRICS_START]):
            return None  # a value the aggregates keep needs cutting: the generic path cuts and counts it
    directives = aws.CloudWatchMetrics
    if len(directives) == 1:  # what awsemf writes: one directive per line
        declared = [m.Name for m in directives[0].Metrics]
    else:
        declared = [m.Name for d in directives for m in d.Metrics]
    # Distinct catalogue names, each with a value, are in the line at least twice each (in the directive and as a
    # key); exactly twice each and nowhere else means there is no other metric key (undeclared or unknown).
    if (
        not declared
        or len(declared) > limits.max_points
        or line.count('"claude_code.') != 2 * len(declared)
        or len(set(declared)) != len(declared)
    ):
        return None
    values: list[tuple[str, float]] = []
    for name in declared:
        at = _VALUE_AT.get(name)
        if at is None:
            return None  # not in the catalogue: the generic path keeps it generically
        v = fields[at]
        if v is None or not (0 <= v <= MAX_VALUE) or not math.isfinite(v):
            return None  # missing or bad: the generic path rejects it with its reason
        values.append((name, v))
    return Line(
        index,
        aws.Timestamp,
        fields[1:_SIG_END],
        fields[_EMAIL] or fields[_ID] or None,
        fields[_SESSION],
        values,
    )


def read_generic(
    index: int, line: str, event_timestamp_ms: int | None = None, limits: LineLimits = DEFAULT_LIMITS
) -> tuple[Line | None, list[Rejected]]:
    """Any line through `parse_line`; raises `EmfError` when the line as a whole is unusable.

    `event_timestamp_ms` (the log event's time) times lines that carry no EMF metadata."""
    points, rejected = parse_line(line, event_timestamp_ms, limits)
    return line_of(index, points), rejected


def line_of(index: int, points: list[DataPoint]) -> Line | None:
    """The points `parse_line` returned for one line (one timestamp, one attribute set) as a `Line`."""
    if not points:
        return None
    attrs = points[0].attributes
    return Line(
        index,
        points[0].timestamp_ms,
        signature_of(attrs),
        user_key(attrs),
        None if attrs.get("start_type") == NOT_A_SESSION_START_TYPE else attrs.get("session.id"),
        [(p.metric, p.value) for p in points],
    )
