"""The time range a dashboard shows, how it is snapped to stored windows, and which windows cover it.

Aggregates exist for 1m, 1h and 1d windows only, so a range is snapped *outwards* to a grain (1m for short
ranges, whole hours up to three days, whole days beyond) and then covered by the fewest stored windows: whole days
from 1d rows, the hours around them from 1h rows, the minutes at the edges from 1m rows. Distinct counts (active
users) stay exact because user sets of the covering windows are unioned, never added. The snapped range is shown on
every widget, so nobody mistakes it for the requested one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from consumers.errors import ConfigError
from consumers.windows.definitions import WINDOW_SIZES, iso

MINUTE_MS = WINDOW_SIZES["1m"].duration_ms
HOUR_MS = WINDOW_SIZES["1h"].duration_ms
DAY_MS = WINDOW_SIZES["1d"].duration_ms

#: Longest range shown at minute grain / minute points.
MINUTE_GRAIN_MAX_MS = 2 * HOUR_MS
#: Longest range shown at hour grain / hour points.
HOUR_GRAIN_MAX_MS = 3 * DAY_MS
#: Longest range whose window (not user) charts have a point per minute: W rows are one item per shard and
#: minute, while user rows are 16 buckets per shard and minute, so user charts switch to hours sooner.
MINUTE_POINTS_MAX_MS = 6 * HOUR_MS
#: Longest range whose window charts have a point per hour.
HOUR_POINTS_MAX_MS = 7 * DAY_MS
#: 1m rows live 2 days after their window (TTL); older minute data is read from 1h rows instead.
MINUTE_ROWS_KEPT_MS = 2 * DAY_MS - HOUR_MS

SIZES_DESCENDING = ("1d", "1h", "1m")


def floor_to(ms: int, step_ms: int) -> int:
    return ms - ms % step_ms


def ceil_to(ms: int, step_ms: int) -> int:
    return -(-ms // step_ms) * step_ms


@dataclass(frozen=True)
class Segment:
    """Windows of one size whose starts lie in [from_ms, to_ms); every one lies wholly inside the range."""

    size: str
    from_ms: int
    to_ms: int


@dataclass(frozen=True)
class TimeRange:
    """A half-open range [from_ms, to_ms) already snapped to `grain` (a window size name)."""

    from_ms: int
    to_ms: int
    grain: str = "1m"

    def __post_init__(self) -> None:
        if self.to_ms <= self.from_ms:
            raise ConfigError(f"empty time range {iso(self.from_ms)} → {iso(self.to_ms)}: 'to' must be after 'from'")

    @classmethod
    def snapped(cls, from_ms: int, to_ms: int, now_ms: int) -> TimeRange:
        """Snap a requested range outwards to the grain its length (and age) calls for."""
        if to_ms <= from_ms:
            raise ConfigError(f"empty time range {iso(from_ms)} → {iso(to_ms)}: 'to' must be after 'from'")
        grain = choose_grain(to_ms - from_ms, now_ms - from_ms)
        step = WINDOW_SIZES[grain].duration_ms
        return cls(floor_to(from_ms, step), ceil_to(to_ms, step), grain)

    @property
    def span_ms(self) -> int:
        return self.to_ms - self.from_ms

    def window_series_size(self, now_ms: int) -> str:
        """Size of the points of over-time charts of window sums (tokens, lines, commits)."""
        if self.span_ms <= MINUTE_POINTS_MAX_MS and now_ms - self.from_ms <= MINUTE_ROWS_KEPT_MS:
            return "1m"
        return "1h" if self.span_ms <= HOUR_POINTS_MAX_MS else "1d"

    @property
    def user_series_size(self) -> str:
        """Size of the points of over-time charts of distinct users (the grain: at most ~120 minutes or ~72
        hours, else days)."""
        return self.grain

    @property
    def label(self) -> str:
        return f"{iso(self.from_ms)} → {iso(self.to_ms)} ({self.grain} grain)"

    def cover(self) -> list[Segment]:
        """The fewest stored windows, no coarser than needed and no finer than the grain, that tile the range."""
        allowed = SIZES_DESCENDING[: SIZES_DESCENDING.index(self.grain) + 1]
        return _cover(self.from_ms, self.to_ms, allowed)

    def starts(self, size: str) -> list[int]:
        """Start of every `size` window in the range (the range is aligned to it when size ≤ grain)."""
        step = WINDOW_SIZES[size].duration_ms
        return list(range(floor_to(self.from_ms, step), self.to_ms, step))


def choose_grain(span_ms: int, age_ms: int) -> str:
    if span_ms <= MINUTE_GRAIN_MAX_MS and age_ms <= MINUTE_ROWS_KEPT_MS:
        return "1m"
    if span_ms <= HOUR_GRAIN_MAX_MS:
        return "1h"
    return "1d"


def _cover(lo: int, hi: int, sizes: tuple[str, ...]) -> list[Segment]:
    if lo >= hi or not sizes:
        return []
    size, finer = sizes[0], sizes[1:]
    step = WINDOW_SIZES[size].duration_ms
    a, b = ceil_to(lo, step), floor_to(hi, step)
    if a >= b:
        return _cover(lo, hi, finer)
    return [*_cover(lo, a, finer), Segment(size, a, b), *_cover(b, hi, finer)]


_RELATIVE = re.compile(r"^(\d+)\s*([mhdw])$")
_UNIT_MS = {"m": MINUTE_MS, "h": HOUR_MS, "d": DAY_MS, "w": 7 * DAY_MS}


def parse_relative(text: str) -> int:
    """`90m`, `3h`, `1d`, `2w` → milliseconds; ConfigError naming the accepted forms otherwise."""
    match = _RELATIVE.match(text.strip().lower())
    if not match or int(match.group(1)) <= 0:
        raise ConfigError(f"unknown range {text!r}: use a number and a unit, e.g. 30m, 3h, 1d, 7d or 2w")
    return int(match.group(1)) * _UNIT_MS[match.group(2)]
