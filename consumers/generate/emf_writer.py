"""What the real collector's `awsemf` exporter writes for given OTLP points: a model for tests and benchmarks,
proven line for line against the real collector (tests/generate/test_collector_vs_writer.py). The simulator's
lines (`ccstream generate --format emf|kinesis`, the benchmarks) and the hand-built lines of unit tests come from here.

The rules are read from collector/config.yaml (`collector_rules`), not copied: the metrics pipeline's `attributes`
processors (insert / upsert of a fixed value; actions from request headers do nothing without headers), the
`ccstream_identity` processor's organisation `defaults` (a local collector keeps the client's identity), `resource`
upserts (`${env:CCSTREAM_ENVIRONMENT}` = `environment`), `transform` statements `delete_key` /
`delete_matching_keys` on resource or data point attributes; then awsemf: resource attributes over point attributes
(`resource_to_telemetry_conversion`), `OTelLib` = the scope name, points with equal labels and time share one line,
`NoDimensionRollup` with every declared dimension set whose labels the line has (several declarations of one metric:
their sets in order, without repeats; a metric with no valid set is written but not declared, and a line with no
declared metric has no `Version`/`_aws`), `Metrics` entries `{"Name","Unit","StorageResolution":60}` with awsemf's
unit names (`s` → `Seconds`, `1` → `""`), every key sorted, compact, `<>&` escaped as Go does, numbers as Go's
`encoding/json` writes a float64. Not modelled: a metric's `Metrics` order inside a merged line (Go map order).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import msgspec

from consumers.generate.collector_rules import CollectorRules, default_rules
from consumers.generate.exports import Export
from consumers.generate.otlp import METRIC_UNITS, SCOPE_NAME, AttrValue, points_of

EMF_VERSION = "1"
STORAGE_RESOLUTION = 60
#: awsemf's unit names for UCUM units (everything else is written as sent).
AWSEMF_UNITS = {"s": "Seconds", "ms": "Milliseconds", "us": "Microseconds", "By": "Bytes", "1": ""}
_GO_ESCAPES = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"), ("\u2028".encode(), b"\\u2028"))


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


class _Metric(msgspec.Struct):
    Name: str
    Unit: str
    StorageResolution: int


class _Directive(msgspec.Struct):
    Namespace: str
    Dimensions: list[list[str]]
    Metrics: list[_Metric]


class _Aws(msgspec.Struct):
    CloudWatchMetrics: list[_Directive]
    Timestamp: int


_encode = msgspec.json.Encoder(order="deterministic").encode


def _string(value: AttrValue) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _attributes(key_values: Iterable[Mapping[str, Any]]) -> dict[str, AttrValue]:
    """OTLP JSON `KeyValue`s as plain values (strings and bools; other scalars as awsemf prints them)."""
    out: dict[str, AttrValue] = {}
    for kv in key_values:
        ((kind, v),) = kv["value"].items()
        out[kv["key"]] = v if kind == "boolValue" else str(v)
    return out


def _apply(actions: tuple[tuple[str, str, str], ...], attrs: dict[str, str]) -> None:
    for action, key, val in actions:
        present = key in attrs
        if action == "upsert" or (action == "insert" and not present) or (action == "update" and present):
            attrs[key] = val
        elif action == "delete":
            attrs.pop(key, None)


def _delete(rules: CollectorRules, context: str, attrs: dict[str, str]) -> None:
    for where, key, pattern in rules.deletions:
        if where != context:
            continue
        for k in [k for k in attrs if (k == key if pattern is None else pattern.search(k))]:
            del attrs[k]


class EmfWriter:
    """Writes the lines the collector's awsemf writes, under `rules` (default: collector/config.yaml, local run)."""

    def __init__(self, rules: CollectorRules | None = None, units: Mapping[str, str] | None = None) -> None:
        self.rules = rules or default_rules()
        self.units = {m: u for m, (u, _) in METRIC_UNITS.items()} | dict(units or {})

    def labels(
        self, attributes: Mapping[str, AttrValue], resource: Mapping[str, AttrValue] | None = None
    ) -> dict[str, str]:
        """The labels of a point's line: processors on point and resource attributes, then the resource over them."""
        point = {k: _string(v) for k, v in attributes.items()}
        res = {k: _string(v) for k, v in (resource or {}).items()}
        _apply(self.rules.point_actions, point)
        _apply(self.rules.resource_actions, res)
        _delete(self.rules, "datapoint", point)
        _delete(self.rules, "resource", res)
        return {**point, **res, "OTelLib": SCOPE_NAME}

    def line(
        self,
        timestamp_ms: int,
        attributes: Mapping[str, AttrValue],
        values: Mapping[str, float | int],
        resource: Mapping[str, AttrValue] | None = None,
    ) -> str:
        """The one line for points of `values` (metric → value) that share `attributes` and `resource`."""
        return self.render(timestamp_ms, self.labels(attributes, resource), values)

    def render(self, timestamp_ms: int, labels: Mapping[str, str], values: Mapping[str, float | int]) -> str:
        """One line from final labels (as `labels()` returns them) and metric values."""
        groups: dict[tuple[tuple[str, ...], ...], list[str]] = {}
        for metric in values:
            dims = self.rules.dimensions_of(metric, labels)
            if dims:
                groups.setdefault(dims, []).append(metric)
        doc: dict[str, Any] = dict(labels)
        if groups:
            directives = [
                _Directive(
                    self.rules.namespace,
                    [list(d) for d in dims],
                    [_Metric(m, self._unit(m), STORAGE_RESOLUTION) for m in metrics],
                )
                for dims, metrics in groups.items()
            ]
            doc["Version"] = EMF_VERSION
            doc["_aws"] = _Aws(directives, timestamp_ms)
        for metric, number in values.items():
            doc[metric] = msgspec.Raw(format_number(number).encode())
        out = _encode(doc)
        for raw, escaped in _GO_ESCAPES:
            out = out.replace(raw, escaped)
        return out.decode()

    def lines_of_export(self, export: Export) -> list[tuple[int, str]]:
        """(timestamp, line) of every line the collector writes for the OTLP request of `export`."""
        grouped: dict[tuple[int, tuple[tuple[str, str], ...]], dict[str, float]] = {}
        labels_of: dict[tuple[int, tuple[tuple[str, str], ...]], dict[str, str]] = {}
        for point in points_of(export):
            labels = self.labels(point.attributes, point.resource)
            key = (point.timestamp_ms, tuple(sorted(labels.items())))
            values = grouped.setdefault(key, {})
            labels_of.setdefault(key, labels)
            values.setdefault(point.metric, point.value)  # awsemf drops a second point of one metric in a group
        return [(ts, self.render(ts, labels_of[(ts, k)], v)) for (ts, k), v in grouped.items()]

    def lines(self, exports: Iterable[Export]) -> list[tuple[int, str]]:
        return [line for export in exports for line in self.lines_of_export(export)]

    def lines_of_request(self, request: Mapping[str, Any]) -> list[tuple[int, str]]:
        """(timestamp, line) of every line the collector writes for one `ExportMetricsServiceRequest` (JSON
        mapping) of delta sums: the same grouping as `lines_of_export`, with the units the request declares."""
        grouped: dict[tuple[int, tuple[tuple[str, str], ...]], dict[str, float]] = {}
        labels_of: dict[tuple[int, tuple[tuple[str, str], ...]], dict[str, str]] = {}
        units = dict(self.units)
        for rm in request.get("resourceMetrics", []):
            resource = _attributes(rm.get("resource", {}).get("attributes", []))
            for sm in rm.get("scopeMetrics", []):
                for metric in sm.get("metrics", []):
                    units[metric["name"]] = metric.get("unit", "")
                    for dp in metric.get("sum", {}).get("dataPoints", []):
                        labels = self.labels(_attributes(dp.get("attributes", [])), resource)
                        ts = int(dp["timeUnixNano"]) // 1_000_000
                        key = (ts, tuple(sorted(labels.items())))
                        labels_of.setdefault(key, labels)
                        value = float(dp["asDouble"]) if "asDouble" in dp else float(dp["asInt"])
                        grouped.setdefault(key, {}).setdefault(metric["name"], value)
        writer = EmfWriter(self.rules, units)
        return [(ts, writer.render(ts, labels_of[(ts, k)], v)) for (ts, k), v in grouped.items()]

    def _unit(self, metric: str) -> str:
        unit = self.units.get(metric, "")
        return AWSEMF_UNITS.get(unit, unit)
