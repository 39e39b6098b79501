"""Write one EMF line exactly as the collector's `awsemf` exporter does.

Layout (awsemf v1): every key but the metric values sorted by code point (so `OTelLib`, `Version`, `_aws` come
before the lower-case attributes), then the metric values, sorted by name. `_aws` holds `CloudWatchMetrics`
(one directive per distinct dimension-set list; inside a directive the Go struct order `Namespace`, `Dimensions`,
`Metrics`) and `Timestamp` (ms). Numbers are written like Go's `encoding/json`: integral floats without a
fraction (`1523`), plain decimals between 1e-6 and 1e21, exponent form (`1e-7`) outside.

Dimensions follow `dimension_rollup_option: ZeroAndSingleDimensionRollup` over the metric declarations in
`METRIC_DIMENSIONS`: `["OTelLib"]` plus `["OTelLib", d]` for each declared dimension the line carries.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Collection
from decimal import Decimal

import msgspec

from schemas import catalogue as cat

NAMESPACE = "ClaudeCode"
EMF_VERSION = "1"

#: The collector's metric declarations: the aggregate dimensions each metric is published under (no user ids).
METRIC_DIMENSIONS: dict[str, tuple[str, ...]] = {
    cat.TOKEN_USAGE: ("department", "model", "type"),
    cat.COST_USAGE: ("cost_center", "department", "model", "team.id"),
    cat.LINES_OF_CODE: ("department", "type"),
    cat.CODE_EDIT_DECISION: ("decision", "department", "language", "tool_name"),
    cat.ACTIVE_TIME: ("department", "type"),
    cat.SESSION_COUNT: ("department", "organization", "team.id"),
    cat.COMMITS: ("department", "organization", "team.id"),
    cat.PULL_REQUESTS: ("department", "organization", "team.id"),
}

_encode = msgspec.json.Encoder().encode


def format_number(value: float | int) -> str:
    """A number as Go's `encoding/json` writes a float64 (`1523`, `0.00003`, `1e-7`, `1e+21`)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    v = float(value)
    magnitude = abs(v)
    if v == 0:
        return "0"
    if v.is_integer() and magnitude < 1e21:
        return str(int(v))
    text = repr(v)
    if 1e-6 <= magnitude < 1e21:
        return format(Decimal(text), "f") if "e" in text else text
    mantissa, _, exponent = text.partition("e")
    sign = exponent[0] if exponent[:1] in "+-" else "+"
    return f"{mantissa}e{sign}{exponent.lstrip('+-').lstrip('0') or '0'}"


def dimension_sets(metric: str, labels: Collection[str]) -> tuple[tuple[str, ...], ...]:
    """Zero- and single-dimension rollup of the metric's declaration, keeping only labels the line has."""
    declared = METRIC_DIMENSIONS.get(metric, ())
    return (("OTelLib",), *(("OTelLib", d) for d in declared if d in labels))


def unit_of(metric: str) -> str:
    spec = cat.METRICS.get(metric)
    return spec.emf_unit if spec else "None"


#: Every label that is a dimension of some metric.
DIMENSION_LABELS = frozenset(d for dims in METRIC_DIMENSIONS.values() for d in dims)

#: Extra labels of one series beyond a LabelSet, as sorted (key, value) pairs.
SeriesKey = tuple[tuple[str, str], ...]


class LabelSet:
    """Labels shared by many lines (one session), sorted and JSON-encoded once.

    `layout(inserted_keys)` caches, per set of per-line keys, the encoded text between the places where those
    keys go, so a line is a join of a few pieces.
    """

    __slots__ = ("_layouts", "dimension_labels", "fragments", "keys", "labels")

    def __init__(self, labels: dict[str, str]) -> None:
        self.labels = dict(labels)
        items = sorted({**labels, "OTelLib": cat.METER, "Version": EMF_VERSION}.items())
        self.keys = [k for k, _ in items]
        self.fragments = [_encode(k) + b":" + _encode(v) for k, v in items]
        self.dimension_labels = frozenset(DIMENSION_LABELS.intersection(labels))
        self._layouts: dict[tuple[str, ...], list[bytes | int]] = {}

    def layout(self, inserted_keys: tuple[str, ...]) -> list[bytes | int]:
        """Encoded label runs and indexes into `inserted_keys`, in key order (an inserted key replaces a label)."""
        cached = self._layouts.get(inserted_keys)
        if cached is not None:
            return cached
        pieces: list[bytes | int] = []
        prev = 0
        for index, key in sorted(enumerate(inserted_keys), key=lambda item: item[1]):
            pos = bisect_left(self.keys, key, prev)
            if pos > prev:
                pieces.append(b",".join(self.fragments[prev:pos]))
            pieces.append(index)
            prev = pos + 1 if pos < len(self.keys) and self.keys[pos] == key else pos
        if prev < len(self.keys):
            pieces.append(b",".join(self.fragments[prev:]))
        self._layouts[inserted_keys] = pieces
        return pieces


class EmfWriter:
    """Formats EMF lines; caches directive text, label fragments and metric name prefixes."""

    def __init__(self) -> None:
        self._directives: dict[tuple[object, ...], bytes] = {}
        self._pairs: dict[tuple[str, str], bytes] = {}
        self._names: dict[str, bytes] = {}

    def line(
        self,
        timestamp_ms: int,
        labels: LabelSet | dict[str, str],
        values: dict[str, float | int],
        extra: SeriesKey = (),
    ) -> str:
        """One EMF line: `labels` (plus `extra`) are all attributes, `values` metric name → value."""
        base = labels if isinstance(labels, LabelSet) else LabelSet(labels)
        names = sorted(values)
        inserted_keys = ("_aws", *(k for k, _ in extra))
        key = (tuple(names), base.dimension_labels, inserted_keys)
        directives = self._directives.get(key)
        if directives is None:
            present = base.dimension_labels.union(inserted_keys)
            directives = self._directives[key] = _directives_json(
                tuple((name, dimension_sets(name, present)) for name in names)
            )
        inserts = [b'"_aws":{"CloudWatchMetrics":' + directives + b',"Timestamp":%d}' % timestamp_ms]
        for pair in extra:
            fragment = self._pairs.get(pair)
            if fragment is None:
                fragment = self._pairs[pair] = _encode(pair[0]) + b":" + _encode(pair[1])
            inserts.append(fragment)
        parts = [inserts[p] if p.__class__ is int else p for p in base.layout(inserted_keys)]
        for name in names:
            prefix = self._names.get(name)
            if prefix is None:
                prefix = self._names[name] = _encode(name) + b":"
            parts.append(prefix + format_number(values[name]).encode())
        return (b"{" + b",".join(parts) + b"}").decode()  # type: ignore[arg-type]


def _directives_json(key: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...]) -> bytes:
    """Group metrics that share a dimension-set list into one directive, in first-seen order."""
    groups: dict[tuple[tuple[str, ...], ...], list[str]] = {}
    for name, dims in key:
        groups.setdefault(dims, []).append(name)
    parts = [
        b'{"Namespace":'
        + _encode(NAMESPACE)
        + b',"Dimensions":'
        + _encode([list(d) for d in dims])
        + b',"Metrics":'
        + _encode([{"Name": n, "Unit": unit_of(n)} for n in metric_names])
        + b"}"
        for dims, metric_names in groups.items()
    ]
    return b"[" + b",".join(parts) + b"]"
