"""One readable line per pipeline of collector/config.yaml, with its `${env:...}` values filled in."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

from consumers.collector.build import collector_config

_ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand(value: str, env: Mapping[str, str]) -> str:
    """Fill `${env:NAME}` and `${env:NAME:-default}` the way the collector's env provider does."""
    return _ENV_REF.sub(lambda m: env.get(m.group(1)) or (m.group(2) or ""), value)


def resolved(node: Any, env: Mapping[str, str]) -> Any:
    """`node` with every string expanded; a whole-value reference is parsed as YAML, as the collector does."""
    if isinstance(node, dict):
        return {k: resolved(v, env) for k, v in node.items()}
    if isinstance(node, list):
        return [resolved(v, env) for v in node]
    if isinstance(node, str) and _ENV_REF.search(node):
        text = expand(node, env)
        return yaml.safe_load(text) if _ENV_REF.fullmatch(node) else text
    return node


def load_config(env: Mapping[str, str]) -> dict[str, Any]:
    raw = yaml.safe_load(collector_config().read_text())
    return dict(resolved(raw, env))


def _destination(name: str, exporters: Mapping[str, Any]) -> str:
    cfg = exporters.get(name) or {}
    if "log_group_name" in cfg:
        return f"{name} (log group {cfg['log_group_name']}, stream {cfg.get('log_stream_name')})"
    if "path" in cfg:
        return f"{name} ({cfg['path']})"
    return name


def describe_pipelines(env: Mapping[str, str]) -> list[str]:
    """`name: receivers -> processors -> exporters (destinations)`, in the config's order."""
    cfg = load_config(env)
    exporters = cfg.get("exporters") or {}
    lines = []
    for name, pipe in (cfg.get("service") or {}).get("pipelines", {}).items():
        steps = [", ".join(pipe.get("receivers") or [])]
        if pipe.get("processors"):
            steps.append(", ".join(pipe["processors"]))
        steps.append(", ".join(_destination(e, exporters) for e in pipe.get("exporters") or []))
        lines.append(f"{name}: " + " -> ".join(steps))
    return lines
