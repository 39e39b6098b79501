"""Backtest of the month-end forecast on a simulated quarter: how often did the band hold the real month-end?

The simulated organisation (seeded, so every run gives the same figures): developers in teams, each with their own
weekday level (log-normal across people), a weekend habit (most rarely work weekends, some do), day-to-day noise
(log-normal), days off, occasional heavy days (an agent left running), and a slow per-person trend over the
quarter. For each month of the quarter and each as-of day, every user's, team's and the org's forecast is made
from the days before (`forecast.forecast`, the same code the budgets use) and compared with the month's real
total. Reported: the share of forecasts whose band held the real month-end, per scope and as-of day, and the
median absolute error of the projection.
"""

from __future__ import annotations

import random
import statistics
from dataclasses import dataclass, field

from consumers.spend.forecast import HISTORY_DAYS, forecast
from consumers.spend.months import DAY_MS, Month, is_weekend

AS_OF_DAYS = (5, 10, 15, 20, 25)


@dataclass(frozen=True)
class Population:
    users: int = 300
    teams: int = 12
    seed: int = 20261205
    months: tuple[str, ...] = ("2026-07", "2026-08", "2026-09")


@dataclass
class Tally:
    held: int = 0
    total: int = 0
    errors: list[float] = field(default_factory=list)

    @property
    def coverage(self) -> float:
        return self.held / self.total if self.total else 0.0


@dataclass
class BacktestResult:
    by_scope: dict[str, Tally]
    by_day: dict[int, Tally]

    @property
    def overall(self) -> Tally:
        t = Tally()
        for s in self.by_scope.values():
            t.held += s.held
            t.total += s.total
            t.errors += s.errors
        return t


def simulate(pop: Population) -> tuple[dict[str, dict[int, float]], dict[str, list[str]]]:
    """Daily USD per user over the quarter and the history before it; team → members."""
    rng = random.Random(pop.seed)
    first = Month.parse(pop.months[0]).start_ms - (HISTORY_DAYS + 7) * DAY_MS
    last = Month.parse(pop.months[-1]).end_ms
    days = list(range(first, last, DAY_MS))
    users: dict[str, dict[int, float]] = {}
    teams: dict[str, list[str]] = {f"team-{t:02d}": [] for t in range(pop.teams)}
    for u in range(pop.users):
        name = f"dev{u:04d}@example.com"
        teams[f"team-{rng.randrange(pop.teams):02d}"].append(name)
        level = rng.lognormvariate(2.0, 0.8)  # median ~7.4 USD a weekday
        weekend = 0.5 if rng.random() < 0.1 else 0.05
        trend = rng.gauss(0.0, 0.15) / len(days)  # up to ~±15 % over the span
        daily: dict[int, float] = {}
        for i, d in enumerate(days):
            if rng.random() < 0.05:
                continue  # a day off
            value = level * (weekend if is_weekend(d) else 1.0) * (1 + trend * i) * rng.lognormvariate(-0.18, 0.6)
            if rng.random() < 0.01:
                value *= 5  # an agent left running
            daily[d] = value
        users[name] = daily
    return users, teams


def _sum(series: list[dict[int, float]]) -> dict[int, float]:
    out: dict[int, float] = {}
    for s in series:
        for d, v in s.items():
            out[d] = out.get(d, 0.0) + v
    return out


def run(pop: Population = Population()) -> BacktestResult:
    users, teams = simulate(pop)
    subjects: dict[str, list[dict[int, float]]] = {"user": list(users.values())}
    subjects["team"] = [_sum([users[m] for m in members]) for members in teams.values() if members]
    subjects["org"] = [_sum(list(users.values()))]
    by_scope = {s: Tally() for s in subjects}
    by_day = {d: Tally() for d in AS_OF_DAYS}
    for name in pop.months:
        month = Month.parse(name)
        for scope, series in subjects.items():
            for daily in series:
                actual = sum(v for d, v in daily.items() if month.start_ms <= d < month.end_ms)
                if actual <= 0:
                    continue
                for as_of_day in AS_OF_DAYS:
                    as_of = month.start_ms + as_of_day * DAY_MS  # midnight after day `as_of_day`
                    seen = {d: v for d, v in daily.items() if d < as_of}
                    f = forecast(seen, month, as_of)
                    ok = f.low <= actual <= f.high
                    for t in (by_scope[scope], by_day[as_of_day]):
                        t.held += ok
                        t.total += 1
                        t.errors.append(abs(f.projected - actual) / actual)
    return BacktestResult(by_scope, by_day)


def summary(result: BacktestResult) -> list[str]:
    lines = []
    o = result.overall
    lines.append(
        f"overall: band held {o.held:,} of {o.total:,} month-ends = {o.coverage:.1%} (nominal 90%), "
        f"median |error| of the projection {statistics.median(o.errors):.1%}"
    )
    for scope, t in result.by_scope.items():
        lines.append(f"  {scope:5s}: {t.coverage:.1%} of {t.total:,}, median |error| {statistics.median(t.errors):.1%}")
    for day, t in result.by_day.items():
        lines.append(
            f"  as of day {day:2d}: {t.coverage:.1%} of {t.total:,}, median |error| {statistics.median(t.errors):.1%}"
        )
    return lines
