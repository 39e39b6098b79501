"""When people code: the chance of being in a Claude Code session by local hour and weekday.

A workday curve (ramp at 8-10, lunch dip, peak in the afternoon, some evening work, little at night) at a third
of its height on weekends. The simulator turns the occupancy into a per-minute session start probability
given the mean session length: occupancy = p·L / (1 + p·L).
"""

from __future__ import annotations

#: Share of users in a session, by local hour 0..23 (weekday).
WEEKDAY_OCCUPANCY: tuple[float, ...] = (
    0.02, 0.01, 0.01, 0.01, 0.01, 0.02, 0.04, 0.08,
    0.18, 0.32, 0.42, 0.45, 0.30, 0.38, 0.46, 0.46,
    0.40, 0.30, 0.16, 0.12, 0.12, 0.10, 0.06, 0.03,
)  # fmt: skip
WEEKEND_FACTOR = 0.3
MINUTE_MS = 60_000
DAY_MS = 86_400_000


def occupancy(utc_ms: int, utc_offset_min: int) -> float:
    """Expected share of users in a session at `utc_ms` for people living at `utc_offset_min`."""
    local_ms = utc_ms + utc_offset_min * MINUTE_MS
    hour = (local_ms // 3_600_000) % 24
    weekday = ((local_ms // DAY_MS) + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    base = WEEKDAY_OCCUPANCY[hour]
    return base * WEEKEND_FACTOR if weekday >= 5 else base


def start_probability(share: float, mean_session_minutes: float) -> float:
    """Per-minute chance that an idle user starts a session, so that `share` of users are in one."""
    share = min(max(share, 0.0), 0.95)
    return share / ((1.0 - share) * mean_session_minutes)
