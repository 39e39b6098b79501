"""The native fast path of the line reader: `read` of the native core (`consumers/native/_core.c`) for whole records.

Where the Python fast path (`lines.read_fast`) decodes a line with msgspec and then proves with string counts that
the line is ordinary, the scanner validates the JSON and picks out what the aggregates keep in one pass over the
line, and builds the same `Line`. It accepts fewer lines than `read_fast` (anything unusual → None → the Python
readers decide), and on every line it accepts its `Line` equals the generic parser's
(tests/decode/test_native_reader.py, hypothesis). Measured in BENCHMARKS.md § Throughput.
"""

from __future__ import annotations

from consumers.decode.lines import _ATTRS, FAST_METRICS, Line
from consumers.native import core
from schemas.catalogue import NOT_A_SESSION_START_TYPE
from schemas.dimensions import GROUPABLE_ATTRIBUTES
from schemas.emf import DEFAULT_LIMITS, LineLimits


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
    module = core()
    if module is None:
        return None
    lines: list[Line | None] = module.read(
        messages,
        Line,
        _ATTRS,
        len(GROUPABLE_ATTRIBUTES),
        FAST_METRICS,
        limits_tuple(limits),
        NOT_A_SESSION_START_TYPE,
    )
    return lines
