"""Monthly budgets: spend so far, burn rate and projected exhaustion, per team (team.id) and per user.

Spend is read from the month's 1d rows (month to date, every shard merged): team spend from the window partials
grouped by `team.id`, user spend from the user partials (email, else user.id). The burn rate is the month-to-date
average per day (spend ÷ days elapsed); the projection assumes it continues: the month-end total, and the moment
the budget runs out if that falls inside the month.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime

from consumers.aggregates.partials import UserPartial, WindowPartial
from consumers.dashboard.config import DashboardConfig, Limit
from consumers.dashboard.timerange import DAY_MS, MINUTE_MS
from schemas.catalogue import TOKEN_USAGE

KINDS = ("cost", "tokens")


@dataclass(frozen=True)
class Month:
    """A calendar month in UTC: `[start_ms, end_ms)` and its `YYYY-MM` name."""

    name: str
    start_ms: int
    end_ms: int

    @classmethod
    def containing(cls, ms: int) -> Month:
        dt = datetime.fromtimestamp(ms / 1000, UTC)
        start = datetime(dt.year, dt.month, 1, tzinfo=UTC)
        days = calendar.monthrange(dt.year, dt.month)[1]
        start_ms = int(start.timestamp() * 1000)
        return cls(f"{dt.year:04d}-{dt.month:02d}", start_ms, start_ms + days * DAY_MS)

    @property
    def days(self) -> float:
        return (self.end_ms - self.start_ms) / DAY_MS


@dataclass(frozen=True)
class BudgetStatus:
    scope: str  # "team" | "user"
    name: str
    kind: str  # "cost" (USD) | "tokens"
    limit: float
    spent: float
    burn_per_day: float
    projected_month_total: float
    #: When the budget runs out at the current burn rate: None if not within the month; the as-of time if already.
    exhaustion_ms: int | None

    @property
    def share(self) -> float:
        return self.spent / self.limit

    @property
    def key(self) -> str:
        return f"{self.scope}#{self.name}#{self.kind}"

    def crossed(self, thresholds: tuple[int, ...]) -> list[int]:
        """Thresholds (percent) this spend has reached."""
        return sorted(t for t in thresholds if self.spent * 100 >= t * self.limit)


def status(scope: str, name: str, kind: str, limit: float, spent: float, month: Month, as_of_ms: int) -> BudgetStatus:
    elapsed_days = max(as_of_ms - month.start_ms, MINUTE_MS) / DAY_MS
    burn = spent / elapsed_days
    exhaustion: int | None
    if spent >= limit:
        exhaustion = as_of_ms
    elif burn > 0:
        at = month.start_ms + int(limit / burn * DAY_MS)
        exhaustion = at if at < month.end_ms else None
    else:
        exhaustion = None
    return BudgetStatus(scope, name, kind, limit, spent, burn, burn * month.days, exhaustion)


def _limits(limit: Limit) -> list[tuple[str, float]]:
    out = []
    if limit.monthly_cost_usd is not None:
        out.append(("cost", limit.monthly_cost_usd))
    if limit.monthly_tokens is not None:
        out.append(("tokens", limit.monthly_tokens))
    return out


def evaluate(
    config: DashboardConfig, month_window: WindowPartial, month_users: UserPartial, month: Month, as_of_ms: int
) -> list[BudgetStatus]:
    """Every configured budget's status; users with a `default_user` budget are those seen this month."""
    as_of_ms = min(max(as_of_ms, month.start_ms), month.end_ms)
    cost_metric = config.cost_metric
    teams = month_window.group_by(("team.id",))
    out: list[BudgetStatus] = []
    for team, limit in sorted(config.teams.items()):
        sums = teams.get((team,), {})
        spent = {"cost": sums.get(cost_metric, 0.0), "tokens": sums.get(TOKEN_USAGE, 0.0)}
        out.extend(status("team", team, kind, lim, spent[kind], month, as_of_ms) for kind, lim in _limits(limit))
    users = sorted(set(config.users) | (set(month_users.users) if config.default_user else set()))
    for user in users:
        user_limit = config.user_limit(user)
        if user_limit is None:
            continue
        entry = month_users.users.get(user)
        sums = entry.sums if entry else {}
        spent = {"cost": sums.get(cost_metric, 0.0), "tokens": sums.get(TOKEN_USAGE, 0.0)}
        out.extend(status("user", user, kind, lim, spent[kind], month, as_of_ms) for kind, lim in _limits(user_limit))
    return out
