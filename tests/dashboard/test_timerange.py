"""Time ranges: snapping outwards to a grain, and covering a range with the fewest stored windows."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consumers.dashboard.timerange import TimeRange, choose_grain, parse_relative
from consumers.errors import ConfigError

M, H, D = 60_000, 3_600_000, 86_400_000
T0 = 1_795_219_200_000  # 2026-11-21T00:00:00Z


def test_short_range_keeps_minutes_and_long_ranges_snap_to_hours_then_days() -> None:
    now = T0 + 10 * D
    assert TimeRange.snapped(now - 90 * M - 5_000, now - 1_000, now) == TimeRange(now - 91 * M, now, "1m")
    r = TimeRange.snapped(now - 24 * H + 17 * M, now - 3 * M, now)
    assert (r.from_ms, r.to_ms, r.grain) == (now - 24 * H, now, "1h")
    r = TimeRange.snapped(now - 10 * D + 5 * H, now - 2 * H, now)
    assert (r.from_ms, r.to_ms, r.grain) == (now - 10 * D, now, "1d")


def test_minute_data_older_than_its_ttl_is_read_from_hours() -> None:
    now = T0 + 10 * D
    assert choose_grain(30 * M, 1 * H) == "1m"
    assert choose_grain(30 * M, 3 * D) == "1h"
    assert TimeRange.snapped(now - 3 * D, now - 3 * D + 30 * M, now).grain == "1h"


def test_cover_of_an_unaligned_hour_range_uses_days_hours_and_no_minutes() -> None:
    r = TimeRange(T0 - 5 * H, T0 + D + 2 * H, "1h")
    assert [(s.size, s.from_ms, s.to_ms) for s in r.cover()] == [
        ("1h", T0 - 5 * H, T0),
        ("1d", T0, T0 + D),
        ("1h", T0 + D, T0 + D + 2 * H),
    ]


def test_cover_within_one_hour_is_minutes_only() -> None:
    r = TimeRange(T0 + 3 * M, T0 + 50 * M, "1m")
    assert [(s.size, s.from_ms, s.to_ms) for s in r.cover()] == [("1m", T0 + 3 * M, T0 + 50 * M)]


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 5 * 24 * 60), st.integers(1, 5 * 24 * 60), st.sampled_from(["1m", "1h", "1d"]))
def test_cover_tiles_the_range_exactly_with_aligned_whole_windows(start_min: int, length_min: int, grain: str) -> None:
    step = {"1m": M, "1h": H, "1d": D}[grain]
    lo = (T0 + start_min * M) // step * step
    hi = -(-(T0 + (start_min + length_min) * M) // step) * step
    segments = TimeRange(lo, hi, grain).cover()
    windows = []
    for seg in segments:
        size = {"1m": M, "1h": H, "1d": D}[seg.size]
        assert size >= step  # never finer than the grain
        assert seg.from_ms % size == 0 and seg.to_ms % size == 0
        windows += [(s, s + size) for s in range(seg.from_ms, seg.to_ms, size)]
    windows.sort()
    assert windows[0][0] == lo and windows[-1][1] == hi
    assert all(a[1] == b[0] for a, b in itertools.pairwise(windows))  # no gap, no overlap
    # fewest windows: no whole window of the next coarser size fits inside a finer segment
    coarser = {"1m": H, "1h": D}
    for seg in segments:
        if seg.size in coarser:
            big = coarser[seg.size]
            assert -(-seg.from_ms // big) * big + big > seg.to_ms
    assert sum(1 for s in segments if s.size == "1d") <= 1


def test_relative_ranges_and_errors() -> None:
    assert [parse_relative(t) for t in ("15m", "3h", "1d", "2w")] == [15 * M, 3 * H, D, 14 * D]
    for bad in ("", "3", "h", "-1h", "0d", "1y"):
        with pytest.raises(ConfigError, match=r"e\.g\. 30m"):
            parse_relative(bad)
    with pytest.raises(ConfigError, match="'to' must be after 'from'"):
        TimeRange.snapped(T0, T0, T0)


def test_series_sizes() -> None:
    now = T0
    assert TimeRange(now - 4 * H, now, "1h").window_series_size(now) == "1m"
    assert TimeRange(now - 4 * H, now, "1h").user_series_size == "1h"
    assert TimeRange(now - 2 * D, now, "1h").window_series_size(now) == "1h"
    assert TimeRange(now - 30 * D, now, "1d").window_series_size(now) == "1d"
    assert TimeRange(now - 4 * H, now, "1h").starts("1h") == [now - 4 * H + i * H for i in range(4)]
