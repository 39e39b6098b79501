"""One developer's own figures: today, this month, their budget and forecast, by model; nobody else's.

Everything is keyed by the verified identity's user key (e-mail, else user.id), the key the aggregates use. Spend
and tokens come from the 1d user partials (as budgets do); the budget is the developer's own limit (the most
specific that applies, their identity groups included) with the month-end forecast and run-out date; by model
comes from the lake (the user partials do not split by model), priced with the same rate card, when a lake engine is
given. The result holds only the developer's own numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from consumers.dashboard.budgets import BudgetStatus, month_series, status
from consumers.dashboard.config import DashboardConfig
from consumers.dashboard.data import DashboardData
from consumers.spend.forecast import forecast
from consumers.spend.identity import Identity
from consumers.spend.months import Month, day_of, iso_day

#: (user key, month) → rows of (model, USD or None when unpriced, tokens)
ByModel = Callable[[str, Month], list[tuple[str, float | None, float]]]


@dataclass(frozen=True)
class MyFigures:
    user: str
    month: str
    as_of_ms: int
    today_usd: float
    today_tokens: float
    month_usd: float
    month_tokens: float
    projected_usd: float
    projected_low_usd: float
    projected_high_usd: float
    budgets: list[BudgetStatus]
    by_model: list[tuple[str, float | None, float]] | None
    prices: dict[str, object]
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "user": self.user,
            "month": self.month,
            "as_of": iso_day(self.as_of_ms),
            "today": {"usd": round(self.today_usd, 6), "tokens": self.today_tokens},
            "month_to_date": {"usd": round(self.month_usd, 6), "tokens": self.month_tokens},
            "forecast": {
                "usd": round(self.projected_usd, 6),
                "low_usd": round(self.projected_low_usd, 6),
                "high_usd": round(self.projected_high_usd, 6),
            },
            "budgets": [b.to_json() for b in self.budgets],
            "by_model": None
            if self.by_model is None
            else [{"model": m, "usd": None if u is None else round(u, 6), "tokens": t} for m, u, t in self.by_model],
            "prices": self.prices,
            "notes": self.notes,
        }


def my_figures(
    identity: Identity,
    config: DashboardConfig,
    data: DashboardData,
    now_ms: int,
    prices: dict[str, object],
    by_model: ByModel | None = None,
) -> MyFigures:
    user = identity.key
    month = Month.containing(now_ms)
    series = month_series(config, data, month, now_ms)
    mine = series.subject("user", user)
    today = day_of(now_ms)
    usd_f = forecast(mine.usd, month, now_ms)
    budgets: list[BudgetStatus] = []
    own, source = config.user_limit_from(user, identity.groups)
    if own is not None:
        for kind, lim in (("cost", own.monthly_cost_usd), ("tokens", own.monthly_tokens)):
            if lim is not None:
                budgets.append(status("user", user, kind, lim, mine.of(kind), month, now_ms, source))
    notes = []
    models = None
    if by_model is not None:
        try:
            models = by_model(user, month)
        except Exception as exc:  # the lake is optional: the rest of the page stands without it
            notes.append(f"by model unavailable: {exc}")
    else:
        notes.append("by model needs the lake (ccstream me on a machine that can query it)")
    return MyFigures(
        user,
        month.name,
        now_ms,
        mine.usd.get(today, 0.0),
        mine.tokens.get(today, 0.0),
        mine.total("cost", month.start_ms, month.end_ms),
        mine.total("tokens", month.start_ms, month.end_ms),
        usd_f.projected,
        usd_f.low,
        usd_f.high,
        budgets,
        models,
        prices,
        notes,
    )


def by_model_sql(user: str, month: Month, price_sql: str) -> str:
    """Trino SQL over the lake: one developer's token usage of a month per model, priced."""
    y, m = month.name.split("-")
    quoted = user.replace("'", "''")
    return (
        f"SELECT model, SUM(token_usage) AS tokens, SUM(token_usage * {price_sql}) AS usd\n"
        f"FROM metrics_all\n"
        f"WHERE metric = 'claude_code.token.usage' AND year = {int(y)} AND month = {int(m)}\n"
        f'  AND "timestamp" >= {month.start_ms} AND "timestamp" < {month.end_ms} AND user_key = \'{quoted}\'\n'
        f"GROUP BY model ORDER BY usd DESC NULLS LAST, model"
    )


def lake_by_model(run: Callable[[str], list[dict[str, object]]], price_sql: str) -> ByModel:
    """A `ByModel` that runs `by_model_sql` with `run` (an engine's run(sql).records())."""

    def rows(user: str, month: Month) -> list[tuple[str, float | None, float]]:
        out = []
        for rec in run(by_model_sql(user, month, price_sql)):
            usd = rec.get("usd")
            out.append((str(rec.get("model")), None if usd is None else float(usd), float(rec.get("tokens") or 0.0)))  # type: ignore[arg-type]
        return out

    return rows
