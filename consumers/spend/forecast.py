"""Month-end projection from daily spend, with an uncertainty band, and the day a budget runs out.

The rate ahead is learnt from the subject's recent complete days (`HISTORY_DAYS`, crossing into the previous month),
separately for weekdays and weekends (UTC), because developers mostly spend on weekdays. The projection is what is
spent so far plus the expected spend of the rest of today and of every remaining day by its kind. The band treats
each remaining day as an independent draw with that kind's day-to-day variance, plus the uncertainty of the learnt
mean: projection ± z·sd, z = 1.645 (a nominal 90 % band), never below what is already spent. Days before the
subject's first active day in the history are not counted (a developer who started last Tuesday has no idle weeks).
Works the same for USD and tokens. `benchmarks/spend_backtest.py` measures how often the band holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from consumers.spend.months import DAY_MS, Month, day_of, is_weekend

HISTORY_DAYS = 28
Z_90 = 1.645


@dataclass(frozen=True)
class DayRate:
    mean: float
    var: float
    n: int


@dataclass(frozen=True)
class Forecast:
    spent: float
    projected: float
    low: float
    high: float
    #: expected spend per weekday and per weekend day from here on
    weekday_rate: float
    weekend_rate: float
    #: when `limit` is reached at the expected rate: the as-of time if already, None if not within the month
    runout_ms: int | None
    history_days: int

    @property
    def burn_per_day(self) -> float:
        """The expected average day of the rest of the month (5 weekdays : 2 weekend days)."""
        return (5 * self.weekday_rate + 2 * self.weekend_rate) / 7


def _rate(values: list[float]) -> DayRate:
    n = len(values)
    mean = sum(values) / n
    var = sum((v - mean) ** 2 for v in values) / (n - 1) if n > 1 else mean * mean
    return DayRate(mean, var, n)


def day_rates(daily: dict[int, float], today: int, history_days: int = HISTORY_DAYS) -> tuple[DayRate, DayRate, int]:
    """(weekday rate, weekend rate, complete days used) from the complete days before `today`."""
    days = [today - i * DAY_MS for i in range(history_days, 0, -1)]
    active = [d for d in days if daily.get(d, 0.0) > 0]
    if not active:
        return DayRate(0.0, 0.0, 0), DayRate(0.0, 0.0, 0), 0
    used = [d for d in days if d >= active[0]]
    wd = [daily.get(d, 0.0) for d in used if not is_weekend(d)]
    we = [daily.get(d, 0.0) for d in used if is_weekend(d)]
    everything = _rate([daily.get(d, 0.0) for d in used])
    weekday = _rate(wd) if len(wd) >= 2 else everything
    weekend = _rate(we) if len(we) >= 2 else everything
    return weekday, weekend, len(used)


def forecast(
    daily: dict[int, float], month: Month, as_of_ms: int, limit: float | None = None, z: float = Z_90
) -> Forecast:
    """Projection of `daily` (day start → amount; today's entry is the day so far) to the end of `month`."""
    as_of_ms = min(max(as_of_ms, month.start_ms), month.end_ms)
    today = day_of(as_of_ms)
    spent = sum(v for d, v in daily.items() if month.start_ms <= d < month.end_ms and d <= today)
    weekday, weekend, used = day_rates(daily, today)
    if used == 0 and today < month.end_ms:  # nothing before today: today's pace is all there is
        frac = max((as_of_ms - today) / DAY_MS, 1 / 24)
        so_far = daily.get(today, 0.0)
        weekday = weekend = DayRate(so_far / frac, (so_far / frac) ** 2, 1)
    remaining: list[tuple[int, float, DayRate]] = []  # (day start, share of the day still ahead, rate)
    if today < month.end_ms:
        remaining.append((today, 1 - (as_of_ms - today) / DAY_MS, weekend if is_weekend(today) else weekday))
        remaining += [
            (d, 1.0, weekend if is_weekend(d) else weekday) for d in range(today + DAY_MS, month.end_ms, DAY_MS)
        ]
    expected = sum(w * r.mean for _, w, r in remaining)
    var = sum(w * w * r.var for _, w, r in remaining)
    for rate in {id(weekday): weekday, id(weekend): weekend}.values():  # uncertainty of each learnt mean
        weight = sum(w for _, w, r in remaining if r is rate)
        if rate.n:
            var += weight * weight * rate.var / rate.n
    projected = spent + expected
    sd = math.sqrt(var)
    runout = _runout(spent, remaining, as_of_ms, limit)
    return Forecast(
        spent, projected, max(spent, projected - z * sd), projected + z * sd, weekday.mean, weekend.mean, runout, used
    )


def _runout(
    spent: float, remaining: list[tuple[int, float, DayRate]], as_of_ms: int, limit: float | None
) -> int | None:
    if limit is None:
        return None
    if spent >= limit:
        return as_of_ms
    total = spent
    for day, share, rate in remaining:
        ahead = share * rate.mean
        if ahead > 0 and total + ahead >= limit:
            start = max(day, as_of_ms)
            return start + int((limit - total) / rate.mean * DAY_MS)
        total += ahead
    return None
