"""Monthly budgets per org, team, group and user: spend so far, the month-end forecast and its band, run-out.

Spend comes from the daily aggregates (`consumers/spend/series.py`): the org from every window partial, teams by
`team.id`, groups as the sum of their members, users from the user partials (email, else user.id). The forecast and
the run-out date are `consumers/spend/forecast.py` (recent weekdays and weekends, a nominal 90 % band). A
developer's own limit is the most specific that applies (`DashboardConfig.user_limit_from`): their own entry, a
group's or team's `per_user`, the org's `per_user`, `default_user`.
"""

from __future__ import annotations

from dataclasses import dataclass

from consumers.dashboard.config import DashboardConfig, Limit
from consumers.dashboard.data import DashboardData
from consumers.spend.forecast import HISTORY_DAYS, Forecast, forecast
from consumers.spend.months import DAY_MS, Month
from consumers.spend.series import Amounts, SpendSeries, read_series

KINDS = ("cost", "tokens")
SCOPE_ORDER = {"org": 0, "team": 1, "group": 2, "user": 3}

__all__ = ["KINDS", "BudgetStatus", "BudgetSubject", "Month", "evaluate", "month_series", "status"]


@dataclass(frozen=True)
class BudgetSubject:
    """Whose budget, of what kind, its limit and the spend against it: what every budget status says first (the
    computed `BudgetStatus` and the stored one the status endpoint reads, `consumers/spend/status.py`)."""

    scope: str  # "org" | "team" | "group" | "user"
    name: str
    kind: str  # "cost" (USD) | "tokens"
    limit: float
    spent: float

    @property
    def share(self) -> float:
        return self.spent / self.limit

    @property
    def over(self) -> bool:
        return self.spent >= self.limit

    def subject_json(self) -> dict[str, object]:
        return {
            "scope": self.scope,
            "name": self.name,
            "kind": self.kind,
            "limit": self.limit,
            "spent": round(self.spent, 6),
            "share": round(self.share, 6),
        }


@dataclass(frozen=True)
class BudgetStatus(BudgetSubject):
    burn_per_day: float
    projected_month_total: float
    #: When the budget runs out at the expected rate: None if not within the month; the as-of time if already.
    exhaustion_ms: int | None
    projected_low: float = 0.0
    projected_high: float = 0.0
    #: where a user's limit came from ("user", "group contractors", "team payments", "org", "default_user")
    source: str = ""

    @property
    def key(self) -> str:
        return f"{self.scope}#{self.name}#{self.kind}"

    def crossed(self, thresholds: tuple[int, ...]) -> list[int]:
        """Thresholds (percent) this spend has reached."""
        return sorted(t for t in thresholds if self.spent * 100 >= t * self.limit)

    def to_json(self) -> dict[str, object]:
        return self.subject_json() | {
            "burn_per_day": round(self.burn_per_day, 6),
            "projected_month_total": round(self.projected_month_total, 6),
            "projected_low": round(self.projected_low, 6),
            "projected_high": round(self.projected_high, 6),
            "exhaustion_ms": self.exhaustion_ms,
            "source": self.source,
        }


def status(
    scope: str,
    name: str,
    kind: str,
    limit: float,
    daily: dict[int, float],
    month: Month,
    as_of_ms: int,
    source: str = "",
) -> BudgetStatus:
    f: Forecast = forecast(daily, month, as_of_ms, limit)
    return BudgetStatus(
        scope, name, kind, limit, f.spent, f.burn_per_day, f.projected, f.runout_ms, f.low, f.high, source
    )


def _limits(limit: Limit) -> list[tuple[str, float]]:
    out = []
    if limit.monthly_cost_usd is not None:
        out.append(("cost", limit.monthly_cost_usd))
    if limit.monthly_tokens is not None:
        out.append(("tokens", limit.monthly_tokens))
    return out


def _statuses(
    scope: str, name: str, limit: Limit, amounts: Amounts, month: Month, as_of_ms: int, source: str = ""
) -> list[BudgetStatus]:
    return [status(scope, name, k, lim, amounts.of(k), month, as_of_ms, source) for k, lim in _limits(limit)]


def evaluate(config: DashboardConfig, series: SpendSeries, month: Month, as_of_ms: int) -> list[BudgetStatus]:
    """Every configured budget's status. Per-user defaults cover every user seen in the series' month."""
    as_of_ms = min(max(as_of_ms, month.start_ms), month.end_ms)
    out: list[BudgetStatus] = []
    if config.org is not None:
        out += _statuses("org", "org", config.org, series.org, month, as_of_ms)
    for team, limit in sorted(config.teams.items()):
        out += _statuses("team", team, limit, series.subject("team", team), month, as_of_ms)
    for group, limit in sorted(config.groups.items()):
        out += _statuses("group", group, limit, series.group(_members(limit)), month, as_of_ms)
    seen = {u for u, a in series.users.items() if a.total("tokens", month.start_ms, month.end_ms) > 0}
    listed = set(config.users) | {m for s in (*config.teams.values(), *config.groups.values()) for m in _members(s)}
    for user in sorted(listed | (seen if config.has_per_user_default else set())):
        own, source = config.user_limit_from(user)
        if own is not None:
            out += _statuses("user", user, own, series.subject("user", user), month, as_of_ms, source)
    return out


def _members(limit: Limit) -> tuple[str, ...]:
    return getattr(limit, "members", ())  # a plain Limit (built in code) has none


def month_series(config: DashboardConfig, data: DashboardData, month: Month, as_of_ms: int) -> SpendSeries:
    """The daily series a forecast of `month` as of `as_of_ms` needs: the month so far and the history before."""
    to_ms = min(month.end_ms, max(as_of_ms, month.start_ms) - max(as_of_ms, month.start_ms) % DAY_MS + DAY_MS)
    return read_series(data, config.cost_metric, month.start_ms - HISTORY_DAYS * DAY_MS, to_ms)
