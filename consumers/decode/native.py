"""The native fast path of the line reader: a C scanner (`_emfscan.c`, built by `make native`) for whole records.

Where the Python fast path (`lines.read_fast`) decodes a line with msgspec and then proves with string counts that
the line is ordinary, the scanner validates the JSON and picks out what the aggregates keep in one pass over the
line, and builds the same `Line`. It accepts fewer lines than `read_fast` (anything unusual → None → the Python
readers decide), and on every line it accepts its `Line` equals the generic parser's
(tests/decode/test_native_reader.py, hypothesis). Measured in BENCHMARKS.md § Throughput.

Optional by design: without the compiled module (no C compiler, another interpreter, `CCSTREAM_NATIVE_READER=0`)
`read_native` returns None and every line goes through the Python readers, with the same results.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

from consumers.decode.lines import _ATTRS, FAST_METRICS, Line
from schemas.catalogue import NOT_A_SESSION_START_TYPE
from schemas.dimensions import GROUPABLE_ATTRIBUTES
from schemas.emf import DEFAULT_LIMITS, LineLimits

#: Setting that turns the native reader off (`0`); on by default when the module is built.
ENV_SWITCH = "CCSTREAM_NATIVE_READER"


def _load() -> ModuleType | None:
    try:
        return importlib.import_module("consumers.decode._emfscan")
    except ImportError:
        return None


_MODULE = _load()


def available() -> bool:
    """The compiled scanner is importable in this interpreter."""
    return _MODULE is not None


def enabled_by_env(env: dict[str, str] | None = None) -> bool:
    """The scanner is built and not switched off with `CCSTREAM_NATIVE_READER=0`."""
    value = (os.environ if env is None else env).get(ENV_SWITCH, "1")
    return available() and value.strip().lower() not in ("0", "false", "no", "off")


def limits_tuple(limits: LineLimits) -> tuple[int, int, int, int, int, int]:
    return (
        limits.max_line_bytes,
        limits.max_value_chars,
        limits.max_labels,
        limits.max_points,
        limits.min_timestamp_ms,
        limits.max_timestamp_ms,
    )


def read_native(messages: list[str], limits: LineLimits = DEFAULT_LIMITS) -> list[Line | None] | None:
    """A `Line` (index = position in `messages`) or None per message; None for all when the scanner is missing."""
    if _MODULE is None:
        return None
    lines: list[Line | None] = _MODULE.read(
        messages,
        Line,
        _ATTRS,
        len(GROUPABLE_ATTRIBUTES),
        FAST_METRICS,
        limits_tuple(limits),
        NOT_A_SESSION_START_TYPE,
    )
    return lines
