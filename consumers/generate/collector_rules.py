"""The parts of collector/config.yaml that shape a metrics line, read from the file (not copied): what the
collector model (`emf_writer`) applies.

    load_rules(config=None, environment="local") -> CollectorRules
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

_ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_DELETE = re.compile(r'^(delete_key|delete_matching_keys)\((resource|datapoint)\.attributes, "((?:[^"\\]|\\.)*)"\)$')


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
        elif kind == "ccstream_identity":
            # A local collector (--auth none: source client) keeps the client's identity and inserts the
            # organisation defaults where a point has none; awsemf lets the resource win over them either way.
            point += [("insert", key, value(v)) for key, v in (spec.get("defaults") or {}).items()]
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
