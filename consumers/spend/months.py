"""Calendar months and days in UTC, as budgets, forecasts, exports and the bill count them."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime

from consumers.windows.definitions import WINDOW_SIZES

DAY_MS = WINDOW_SIZES["1d"].duration_ms
MINUTE_MS = WINDOW_SIZES["1m"].duration_ms


@dataclass(frozen=True)
class Month:
    """A calendar month in UTC: `[start_ms, end_ms)` and its `YYYY-MM` name."""

    name: str
    start_ms: int
    end_ms: int

    @classmethod
    def containing(cls, ms: int) -> Month:
        dt = datetime.fromtimestamp(ms / 1000, UTC)
        return cls.of(dt.year, dt.month)

    @classmethod
    def of(cls, year: int, month: int) -> Month:
        start = datetime(year, month, 1, tzinfo=UTC)
        days = calendar.monthrange(year, month)[1]
        start_ms = int(start.timestamp() * 1000)
        return cls(f"{year:04d}-{month:02d}", start_ms, start_ms + days * DAY_MS)

    @classmethod
    def parse(cls, name: str) -> Month:
        """`YYYY-MM` → the month; ValueError otherwise."""
        try:
            dt = datetime.strptime(name, "%Y-%m")
        except ValueError:
            raise ValueError(f"month {name!r} is not YYYY-MM") from None
        return cls.of(dt.year, dt.month)

    @property
    def days(self) -> float:
        return (self.end_ms - self.start_ms) / DAY_MS

    def day_starts(self) -> list[int]:
        return list(range(self.start_ms, self.end_ms, DAY_MS))

    @property
    def previous(self) -> Month:
        return Month.containing(self.start_ms - 1)

    @property
    def next(self) -> Month:
        return Month.containing(self.end_ms)


def is_weekend(day_ms: int) -> bool:
    return datetime.fromtimestamp(day_ms / 1000, UTC).weekday() >= 5


def day_of(ms: int) -> int:
    return ms - ms % DAY_MS


def iso_day(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d")
