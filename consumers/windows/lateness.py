"""Lateness screening of one record's lines: a pure function of the lines, the record's arrival time (the clock,
passed in) and the watermark before it. Returns the watermark after it and the lines that are late or from the
future; nothing here has state (the caller keeps the watermark, see `watermark.py` for the policy)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from consumers.windows.watermark import Lateness, Watermark

if TYPE_CHECKING:
    from consumers.decode.lines import Line

ALL_ON_TIME: Mapping[int, Lateness] = {}


def screen(
    lines: Sequence[Line], arrival_ms: int, watermark_ms: int, allowed_lateness_ms: int, max_future_ms: int
) -> tuple[int, Mapping[int, Lateness]]:
    """(watermark after the record, {line index: LATE or FUTURE}) for a record that arrived at `arrival_ms`
    (0: unknown, no future check). Lines are classified in order; an on-time line moves the watermark for the
    lines after it. A record spans a minute or so of event time, so one check usually clears all its lines."""
    lo = min(line.timestamp_ms for line in lines)
    hi = max(line.timestamp_ms for line in lines)
    no_future = not arrival_ms or hi <= arrival_ms + max_future_ms
    if no_future and lo >= max(watermark_ms, hi) - allowed_lateness_ms:
        return max(watermark_ms, hi), ALL_ON_TIME
    wm = Watermark(allowed_lateness_ms, max_future_ms, watermark_ms)
    late: dict[int, Lateness] = {}
    for line in lines:
        verdict = wm.classify(line.timestamp_ms, arrival_ms)
        if verdict is Lateness.ON_TIME:
            wm.observe(line.timestamp_ms)
        else:
            late[line.index] = verdict
    return wm.value_ms, late
