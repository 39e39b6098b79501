"""Where the bill's attribution rules come from: `--config FILE`, else `$CCSTREAM_BILL` (a path), else defaults."""

from __future__ import annotations

import os
from pathlib import Path

import msgspec
import yaml

from consumers.bill.attribution import Attribution
from consumers.errors import ConfigError

BILL_PATH_ENV = "CCSTREAM_BILL"


def load_attribution(path: Path | None = None) -> tuple[Attribution, str]:
    chosen = str(path) if path else os.environ.get(BILL_PATH_ENV, "")
    if not chosen:
        return Attribution(), "defaults"
    file = Path(chosen)
    if not file.is_file():
        raise ConfigError(f"bill configuration {file} not found (copy bill.example.yaml to start)")
    try:
        doc = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        return msgspec.convert(doc, Attribution), str(file)
    except (yaml.YAMLError, msgspec.ValidationError) as exc:
        raise ConfigError(f"{file}: {exc} (see bill.example.yaml)") from None
