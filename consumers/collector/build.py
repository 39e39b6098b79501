"""Where `make collector` puts the collector binary, and a clear error when it is not there."""

from __future__ import annotations

import os
from pathlib import Path

from consumers.errors import CcstreamError

#: The checkout's root: `collector/` (sources, config.yaml) and `.cache/collector/` (the build) live under it.
REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG_PATH = REPO_ROOT / "collector" / "config.yaml"
BINARY_NAME = "otelcol-ccstream"


def default_cache_dir() -> Path:
    return REPO_ROOT / ".cache" / "collector"


def collector_binary(cache_dir: Path | None = None) -> Path:
    """The built collector binary; raises `CcstreamError` naming `make collector` if it is missing."""
    binary = (cache_dir or default_cache_dir()) / BINARY_NAME
    if not binary.is_file() or not os.access(binary, os.X_OK):
        raise CcstreamError(f"the collector is not built ({binary} is missing): run `make collector`")
    return binary


def collector_config() -> Path:
    """collector/config.yaml, the one configuration infra and the local run share."""
    if not CONFIG_PATH.is_file():
        raise CcstreamError(f"the collector configuration {CONFIG_PATH} is missing")
    return CONFIG_PATH
