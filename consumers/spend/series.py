"""Daily spend per subject — org, team (`team.id`), cost center, user — read from the 1d rows.

USD is the stored `ccstream.token_cost.usd` (priced by the consumers with the effective rate card) or Claude Code's
own `cost.usage`, as the budgets configuration says (`cost_source`); tokens are every `claude_code.token.usage`
type. Teams and cost centers come from the window partials (label signatures), users from the user partials
(email, else user.id); a group is the sum of its members. Each day's value is that day's merged partials, today's
being the day so far.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from consumers.dashboard.data import DashboardData
from consumers.spend.months import DAY_MS
from schemas.catalogue import TOKEN_USAGE

#: day start → amount
Daily = dict[int, float]


@dataclass
class Amounts:
    usd: Daily = field(default_factory=dict)
    tokens: Daily = field(default_factory=dict)

    def add(self, day: int, usd: float, tokens: float) -> None:
        if usd:
            self.usd[day] = self.usd.get(day, 0.0) + usd
        if tokens:
            self.tokens[day] = self.tokens.get(day, 0.0) + tokens

    def of(self, kind: str) -> Daily:
        return self.usd if kind == "cost" else self.tokens

    def total(self, kind: str, from_ms: int, to_ms: int) -> float:
        return sum(v for d, v in self.of(kind).items() if from_ms <= d < to_ms)


@dataclass
class SpendSeries:
    cost_metric: str
    from_ms: int
    to_ms: int
    org: Amounts = field(default_factory=Amounts)
    teams: dict[str, Amounts] = field(default_factory=dict)
    cost_centers: dict[str, Amounts] = field(default_factory=dict)
    users: dict[str, Amounts] = field(default_factory=dict)

    def subject(self, scope: str, name: str) -> Amounts:
        book = {"team": self.teams, "cost_center": self.cost_centers, "user": self.users}.get(scope)
        if scope == "org":
            return self.org
        if book is None:
            raise ValueError(f"unknown scope {scope!r}")
        return book.get(name) or Amounts()

    def group(self, members: tuple[str, ...]) -> Amounts:
        out = Amounts()
        for m in members:
            a = self.users.get(m)
            if a is None:
                continue
            for d, v in a.usd.items():
                out.add(d, v, 0.0)
            for d, v in a.tokens.items():
                out.add(d, 0.0, v)
        return out


def read_series(data: DashboardData, cost_metric: str, from_ms: int, to_ms: int) -> SpendSeries:
    """Every day starting in [from_ms, to_ms) (day-aligned), from the 1d rows through `data`."""
    from_ms -= from_ms % DAY_MS
    out = SpendSeries(cost_metric, from_ms, to_ms)
    for day, w in data.windows("1d", from_ms, to_ms).items():
        for (team,), sums in data.group(w, ("team.id",)).items():
            out.teams.setdefault(team, Amounts()).add(day, sums.get(cost_metric, 0.0), sums.get(TOKEN_USAGE, 0.0))
        for (cc,), sums in data.group(w, ("cost_center",)).items():
            out.cost_centers.setdefault(cc, Amounts()).add(day, sums.get(cost_metric, 0.0), sums.get(TOKEN_USAGE, 0.0))
        for sums in data.group(w, ()).values():
            out.org.add(day, sums.get(cost_metric, 0.0), sums.get(TOKEN_USAGE, 0.0))
    for day, up in data.users("1d", from_ms, to_ms).items():
        for user, entry in up.users.items():
            out.users.setdefault(user, Amounts()).add(
                day, entry.sums.get(cost_metric, 0.0), entry.sums.get(TOKEN_USAGE, 0.0)
            )
    return out
