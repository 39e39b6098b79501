"""Month-end forecast: weekday/weekend rates from recent complete days, the band, the run-out date.

Expected values are computed here with the standard library from the same day lists, not with the forecaster.
"""

from __future__ import annotations

import math
import statistics
from datetime import UTC, datetime

import pytest

from consumers.spend.forecast import forecast
from consumers.spend.months import DAY_MS, Month

NOV = Month.parse("2026-11")  # 2026-11-01 is a Sunday
#: one-sided 95 % quantiles of Student's t (standard table) by degrees of freedom
T95 = {7: 1.895, 19: 1.729}


def weekend(day: int) -> bool:
    return datetime.fromtimestamp(day / 1000, UTC).weekday() >= 5


def days(start: int, end: int) -> list[int]:
    return list(range(start, end, DAY_MS))


def test_steady_weekday_weekend_pattern_projects_exactly_with_a_zero_band() -> None:
    history = days(NOV.start_ms - 28 * DAY_MS, NOV.start_ms + 10 * DAY_MS)
    daily = {d: (2.0 if weekend(d) else 10.0) for d in history}
    as_of = NOV.start_ms + 10 * DAY_MS  # 2026-11-11 00:00, nothing spent today yet
    f = forecast(daily, NOV, as_of, limit=150.0)
    spent = sum(daily[d] for d in history if d >= NOV.start_ms)
    ahead = sum(2.0 if weekend(d) else 10.0 for d in days(as_of, NOV.end_ms))
    assert f.spent == spent and f.projected == pytest.approx(spent + ahead)
    assert f.low == pytest.approx(f.projected) and f.high == pytest.approx(f.projected)
    assert (f.weekday_rate, f.weekend_rate) == (10.0, 2.0)
    # run-out: walk the days ahead until the cumulative spend reaches 150
    total, runout = spent, None
    for d in days(as_of, NOV.end_ms):
        rate = 2.0 if weekend(d) else 10.0
        if total + rate >= 150:
            runout = d + int((150 - total) / rate * DAY_MS)
            break
        total += rate
    assert f.runout_ms == runout and runout is not None
    assert forecast(daily, NOV, as_of, limit=10_000.0).runout_ms is None  # not within the month
    assert forecast(daily, NOV, as_of, limit=spent).runout_ms == as_of  # already spent


def test_band_from_day_to_day_spread_and_uncertainty_of_the_mean() -> None:
    history = days(NOV.start_ms - 28 * DAY_MS, NOV.start_ms + 14 * DAY_MS)
    wd_values, we_values = [6.0, 14.0, 9.0, 11.0], [1.0, 3.0]
    daily, i, j = {}, 0, 0
    for d in history:
        if weekend(d):
            daily[d] = we_values[j % 2]
            j += 1
        else:
            daily[d] = wd_values[i % 4]
            i += 1
    as_of = NOV.start_ms + 14 * DAY_MS + DAY_MS // 4  # 2026-11-15 06:00, a Sunday; today so far: 0.5
    daily[as_of - as_of % DAY_MS] = 0.5
    f = forecast(daily, NOV, as_of)
    used = days(as_of - as_of % DAY_MS - 28 * DAY_MS, as_of - as_of % DAY_MS)
    wd = [daily[d] for d in used if not weekend(d)]
    we = [daily[d] for d in used if weekend(d)]
    m_wd, m_we = statistics.mean(wd), statistics.mean(we)
    v_wd, v_we = statistics.variance(wd), statistics.variance(we)
    ahead = [(0.75, True)] + [(1.0, weekend(d)) for d in days(as_of - as_of % DAY_MS + DAY_MS, NOV.end_ms)]
    spent = sum(v for d, v in daily.items() if d >= NOV.start_ms)
    projected = spent + sum(w * (m_we if is_we else m_wd) for w, is_we in ahead)
    w_wd = sum(w for w, is_we in ahead if not is_we)
    w_we = sum(w for w, is_we in ahead if is_we)
    var = sum(w * w * (v_we if is_we else v_wd) for w, is_we in ahead)
    var += w_wd**2 * v_wd / len(wd) + w_we**2 * v_we / len(we)
    t = T95[min(len(wd), len(we)) - 1]  # 20 weekdays, 8 weekend days: 7 degrees of freedom
    assert f.projected == pytest.approx(projected)
    assert f.high == pytest.approx(projected + t * math.sqrt(var))
    assert f.low == pytest.approx(max(spent, projected - t * math.sqrt(var)))
    assert f.low < f.projected < f.high


def test_a_new_developer_is_not_diluted_by_days_before_their_first() -> None:
    first = NOV.start_ms + 9 * DAY_MS  # started on Tuesday 2026-11-10
    daily = {d: 20.0 for d in days(first, first + 3 * DAY_MS)}  # Tue, Wed, Thu
    f = forecast(daily, NOV, first + 3 * DAY_MS)
    assert f.history_days == 3 and f.weekday_rate == 20.0  # not 60 / 28


def test_first_day_extrapolates_today_pace() -> None:
    today = NOV.start_ms + 2 * DAY_MS
    f = forecast({today: 3.0}, NOV, today + DAY_MS // 2)  # 3 USD by noon
    assert f.weekday_rate == pytest.approx(6.0)
    remaining_days = (NOV.end_ms - today) / DAY_MS - 0.5
    assert f.projected == pytest.approx(3.0 + 6.0 * remaining_days)


def test_month_over_has_no_future() -> None:
    daily = {d: 1.0 for d in days(NOV.start_ms, NOV.end_ms)}
    f = forecast(daily, NOV, NOV.end_ms + 5 * DAY_MS)
    assert f.spent == 30.0 and f.projected == 30.0 and f.high == 30.0
