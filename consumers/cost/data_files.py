"""Reading the JSON tables the cost model ships with (or a file given instead): one place for the error messages."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TypeVar

import msgspec

from consumers.errors import ConfigError

T = TypeVar("T")


def load_data_file(decoder: msgspec.json.Decoder[T], package: str, name: str, path: Path | None, fix: str) -> T:
    """Decode `path`, or the file `name` shipped in `package`; a missing or invalid file is a ConfigError that
    ends with `fix` (what to do about it)."""
    where = str(path) if path else f"{package}/{name}"
    try:
        raw = path.read_bytes() if path else resources.files(package).joinpath(name).read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {where} ({exc}); {fix}") from exc
    try:
        return decoder.decode(raw)
    except msgspec.DecodeError as exc:
        raise ConfigError(f"{where} is not valid ({exc}); {fix}") from exc
