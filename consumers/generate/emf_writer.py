"""What the real collector's `awsemf` exporter writes for given OTLP points: a model for tests and benchmarks,
proven line for line against the real collector (tests/generate/test_collector_vs_writer.py). The simulator's
lines (`ccstream generate --format emf|kinesis`, the benchmarks) and the hand-built lines of unit tests come from here.

The rules are read from collector/config.yaml, not copied: the metrics pipeline's `attributes` processors (insert /
upsert of a fixed value; actions from request headers do nothing without headers), `resource` upserts
(`${env:CCSTREAM_ENVIRONMENT}` = `environment`), `transform` statements `delete_key` / `delete_matching_keys` on
resource or data point attributes; then awsemf: resource attributes over point attributes
(`resource_to_telemetry_conversion`), `OTelLib` = the scope name, points with equal labels and time share one line,
`NoDimensionRollup` with every declared dimension set whose labels the line has (several declarations of one metric:
their sets in order, without repeats; a metric with no valid set is written but not declared, and a line with no
declared metric has no `Version`/`_aws`), `Metrics` entries `{"Name","Unit","StorageResolution":60}` with awsemf's
unit names (`s` → `Seconds`, `1` → `""`), every key sorted, compact, `<>&` escaped as Go does, numbers as Go's
`encoding/json` writes a float64. Not modelled: a metric's `Metrics` order inside a merged line (Go map order).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import msgspec
import yaml

from consumers.generate.exports import Export
from consumers.generate.otlp import METRIC_UNITS, SCOPE_NAME, AttrValue, points_of

EMF_VERSION = "1"
STORAGE_RESOLUTION = 60
#: awsemf's unit names for UCUM units (everything else is written as sent).
AWSEMF_UNITS = {"s": "Seconds", "ms": "Milliseconds", "us": "Microseconds", "By": "Bytes", "1": ""}
_ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_DELETE = re.compile(r'^(delete_key|delete_matching_keys)\((resource|datapoint)\.attributes, "((?:[^"\\]|\\.)*)"\)$')
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


@dataclass(frozen=True)
class Declaration:
    dimensions: tuple[tuple[str, ...], ...]
    selectors: tuple[re.Pattern[str], ...]

    def selects(self, metric: str) -> bool:
        return any(s.search(metric) for s in self.selectors)


@dataclass(frozen=True)
class CollectorRules:
    """The parts of collector/config.yaml that shape a metrics line."""

    namespace: str
    rollup: str
    declarations: tuple[Declaration, ...]
    #: (action, key, value) of the attributes processors, on point attributes, in pipeline order.
    point_actions: tuple[tuple[str, str, str], ...]
    #: (action, key, value) of the resource processors.
    resource_actions: tuple[tuple[str, str, str], ...]
    #: (context, exact key or None, pattern or None) of the transform processors' deletions.
    deletions: tuple[tuple[str, str | None, re.Pattern[str] | None], ...]

    def dimensions_of(self, metric: str, labels: Mapping[str, str]) -> tuple[tuple[str, ...], ...]:
        out: dict[tuple[str, ...], None] = {}
        for decl in self.declarations:
            if decl.selects(metric):
                out.update((d, None) for d in decl.dimensions if all(k in labels for k in d))
        return tuple(out)


def load_rules(config: Path | None = None, environment: str = "local") -> CollectorRules:
    """The rules of `config` (default: collector/config.yaml) for a collector whose environment is `environment`."""
    from consumers.collector.build import collector_config

    doc = yaml.safe_load((config or collector_config()).read_text())
    env = {"CCSTREAM_ENVIRONMENT": environment}

    def value(text: object) -> str:
        return _ENV_REF.sub(lambda m: env.get(m.group(1), m.group(2) or ""), str(text))

    point: list[tuple[str, str, str]] = []
    resource: list[tuple[str, str, str]] = []
    deletions: list[tuple[str, str | None, re.Pattern[str] | None]] = []
    for name in doc["service"]["pipelines"]["metrics"]["processors"]:
        spec, kind = doc["processors"][name], name.split("/")[0]
        if kind == "attributes":
            point += [(a["action"], a["key"], value(a["value"])) for a in spec["actions"] if "value" in a]
        elif kind == "resource":
            resource += [(a["action"], a["key"], value(a.get("value", ""))) for a in spec["attributes"]]
        elif kind == "transform":
            for statement in spec.get("metric_statements", []):
                match = _DELETE.match(statement.strip())
                if match is None:
                    raise ValueError(f"emf_writer does not model the transform statement {statement!r}")
                fn, context, arg = match.groups()
                arg = arg.replace('\\"', '"').replace("\\\\", "\\")
                deletions.append((context, arg, None) if fn == "delete_key" else (context, None, re.compile(arg)))
    emf = doc["exporters"]["awsemf"]
    declarations = tuple(
        Declaration(tuple(tuple(d) for d in decl["dimensions"]), tuple(map(re.compile, decl["metric_name_selectors"])))
        for decl in emf.get("metric_declarations", [])
    )
    rollup = emf.get("dimension_rollup_option", "ZeroAndSingleDimensionRollup")
    if rollup != "NoDimensionRollup":
        raise ValueError(f"emf_writer models NoDimensionRollup only, the config has {rollup}")
    return CollectorRules(emf["namespace"], rollup, declarations, tuple(point), tuple(resource), tuple(deletions))


@cache
def default_rules(environment: str = "local") -> CollectorRules:
    return load_rules(environment=environment)


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
