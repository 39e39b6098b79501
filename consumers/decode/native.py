"""The native fast path of the line reader: `read` of the native core (`consumers/native/_core.c`) for whole records.

Where the Python fast path (`lines.read_fast`) decodes a line with msgspec and then proves with string counts that
the line is ordinary, the scanner validates the JSON and picks out what the aggregates keep in one pass over the
line, and builds the same `Line`. It accepts fewer lines than `read_fast` (anything unusual → None → the Python
readers decide), and on every line it accepts its `Line` equals the generic parser's
(tests/decode/test_native.py, hypothesis). Measured in BENCHMARKS.md § Throughput.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from consumers.decode.lines import _ATTRS, FAST_METRICS, Line
from consumers.native import core
from schemas.catalogue import NOT_A_SESSION_START_TYPE, TOKEN_USAGE
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


def read_fold(
    messages: list[str],
    limits: LineLimits,
    labels: dict[Any, Any],
    users: dict[Any, Any],
    derive: Callable[[Any, float], tuple[str, float]],
    lateness: tuple[int, int, int, int],
) -> tuple[int, int] | None:
    """Read a record's lines and fold them into a fine batch's `labels` and `users` in one native call.

    Only when that is exactly what `read_lines`, `windows.lateness.screen` and `FineBatch.fold` would do: every line
    ordinary and the record on time as a whole (`lateness` = arrival, watermark, allowed lateness, max future, all
    ms). Then (points, watermark after the record); otherwise None and nothing was folded."""
    module = core()
    if module is None:
        return None
    folded: tuple[int, int] | None = module.read_fold(
        messages,
        _ATTRS,
        len(GROUPABLE_ATTRIBUTES),
        FAST_METRICS,
        limits_tuple(limits),
        NOT_A_SESSION_START_TYPE,
        labels,
        users,
        derive,
        TOKEN_USAGE,
        lateness,
    )
    return folded
