"""Tumbling windows, epoch-aligned in UTC, `[start, end)`, identified by (size name, start_ms)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from consumers.retention import RetentionSettings


@dataclass(frozen=True)
class WindowSize:
    name: str  # "1m" | "1h" | "1d"
    duration_ms: int
    #: How long a clean window stays in memory after the watermark passed its end (reloaded if late data comes).
    keep_after_end_ms: int
    #: Default time to live of its DynamoDB items after the window ends (`consumers/retention.py`; a process may
    #: run with other values: `Tunables.retention`).
    ttl_ms: int

    def __post_init__(self) -> None:
        if self.duration_ms <= 0:
            raise ValueError("duration_ms must be positive")

    def start_of(self, timestamp_ms: int) -> int:
        return timestamp_ms - timestamp_ms % self.duration_ms

    def end_of(self, start_ms: int) -> int:
        return start_ms + self.duration_ms

    @property
    def tag(self) -> str:
        """Upper-case form used in DynamoDB sort keys (`1m` → `1M`)."""
        return self.name.upper()


_MIN = 60_000
_HOUR = 60 * _MIN
_DAY = 24 * _HOUR

_RETENTION = RetentionSettings()
WINDOW_SIZES: dict[str, WindowSize] = {
    "1m": WindowSize("1m", _MIN, keep_after_end_ms=2 * _MIN, ttl_ms=_RETENTION.ms("rows_1m")),
    "1h": WindowSize("1h", _HOUR, keep_after_end_ms=10 * _MIN, ttl_ms=_RETENTION.ms("rows_1h")),
    "1d": WindowSize("1d", _DAY, keep_after_end_ms=30 * _MIN, ttl_ms=_RETENTION.ms("rows_1d")),
}


def window_size(name: str) -> WindowSize:
    try:
        return WINDOW_SIZES[name]
    except KeyError:
        raise ValueError(f"unknown window {name!r}; choose one of {', '.join(WINDOW_SIZES)}") from None


MAX_MS = 253_402_300_799_000  # 9999-12-31T23:59:59Z


def iso(ms: int) -> str:
    """`2026-11-20T23:00:00Z` for a millisecond epoch timestamp (clamped to years 1970..9999)."""
    ms = min(max(ms, 0), MAX_MS)
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> int:
    """ISO 8601 (a trailing Z or offset; naive means UTC) → epoch ms."""
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1000)
