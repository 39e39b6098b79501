"""Month-end projection from daily spend, with an uncertainty band, and the day a budget runs out.

The rate ahead is learnt from the subject's recent complete days (`HISTORY_DAYS`, crossing into the previous month),
separately for weekdays and weekends (UTC), because developers mostly spend on weekdays. The projection is what is
spent so far plus the expected spend of the rest of today and of every remaining day by its kind. The band treats
each remaining day as an independent draw with that kind's day-to-day variance, plus the uncertainty of the learnt
mean: projection ± t·sd, a nominal 90 % band (t: the 95th percentile of Student's t with n - 1 degrees of freedom,
n the fewer days of the two kinds; few days of history mean a wider band), never below what is already spent. Days
before the subject's first active day in the history are not counted (a developer who started last Tuesday has no
idle weeks).
Works the same for USD and tokens. `benchmarks/spend_backtest.py` measures how often the band holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from consumers.spend.months import DAY_MS, Month, day_of, is_weekend

HISTORY_DAYS = 28
Z_90 = 1.645
#: 95th percentile of Student's t for 1 … 30 degrees of freedom (standard table); beyond, the normal's 1.645
T_95 = (
    6.314, 2.920, 2.353, 2.132, 2.015, 1.943, 1.895, 1.860, 1.833, 1.812,
    1.796, 1.782, 1.771, 1.761, 1.753, 1.746, 1.740, 1.734, 1.729, 1.725,
    1.721, 1.717, 1.714, 1.711, 1.708, 1.706, 1.703, 1.701, 1.699, 1.697,
)  # fmt: skip


def band_multiplier(days: int) -> float:
    """The one-sided 95 % quantile for a mean learnt from `days` days (Student's t, n - 1 degrees of freedom)."""
    if days <= 1:
        return T_95[0]
    return T_95[days - 2] if days - 1 <= len(T_95) else Z_90


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
    daily: dict[int, float], month: Month, as_of_ms: int, limit: float | None = None, z: float | None = None
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
    if z is None:
        z = band_multiplier(min((r.n for r in (weekday, weekend) if r.n), default=1))
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
