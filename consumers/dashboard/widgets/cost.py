"""Cost widgets: Cost by department/team, and Budgets (spend, month-end forecast with its band, run-out date)."""

from __future__ import annotations

from datetime import UTC, datetime

from consumers.dashboard.alerts import month_statuses
from consumers.dashboard.budgets import BudgetStatus, Month
from consumers.dashboard.html import Markup, WidgetResult, fmt_int, fmt_pct, fmt_usd, table
from consumers.dashboard.widgets.context import WidgetContext, r6
from schemas.catalogue import COST_USAGE
from schemas.ratecard import load_rate_card

#: Budgets listed in the widget (highest share first); a `default_user` budget can mean thousands.
BUDGET_ROWS = 20


def cost_by_team(ctx: WidgetContext) -> WidgetResult:
    w = ctx.data.total_window(ctx.range)
    attrs = ("department", "team.id")
    cost = ctx.by(w, attrs, ctx.config.cost_metric)
    reported = ctx.by(w, attrs, COST_USAGE)
    keys = sorted(cost.keys() | reported.keys(), key=lambda k: (-cost.get(k, 0.0), k))
    svg = ctx.charts.bars(
        [(f"{d} / {t}", cost.get((d, t), 0.0)) for d, t in keys[:15]],
        value_format="${:,.2f}",
        height=max(160, 24 * min(len(keys), 15) + 60),
    )
    rows = [(d, t, fmt_usd(cost.get((d, t), 0.0)), fmt_usd(reported.get((d, t), 0.0))) for d, t in keys]
    values = {
        "total": r6(sum(cost.values())),
        "teams": [[d, t, r6(cost.get((d, t), 0.0)), r6(reported.get((d, t), 0.0))] for d, t in keys],
    }
    return WidgetResult(
        headline=fmt_usd(sum(cost.values())),
        value=values["total"],
        values=values,
        body=svg + table(("department", "team", "cost (list price)", "cost (Claude Code)"), rows, (2, 3)),
        note=f"cost = {ctx.config.cost_metric} (config cost_source; rate card {load_rate_card().card_id}); "
        "departments and teams as in the data",
    )


def _amount(kind: str, value: float) -> str:
    return fmt_usd(value) if kind == "cost" else fmt_int(value)


def _date(ms: int | None, st: BudgetStatus) -> str:
    if ms is None:
        return "not this month"
    text = datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d")
    return f"exhausted {text}" if st.spent >= st.limit else text


def budgets(ctx: WidgetContext) -> WidgetResult:
    """Month of the range's end, as of now (or the month's end if it is over)."""
    month = Month.containing(min(ctx.range.to_ms, ctx.now_ms + 1) - 1)
    if not ctx.config.has_budgets:
        return WidgetResult(
            body='<p class="sub">No budgets configured: pass --budgets FILE or set CCSTREAM_BUDGETS '
            "(see budgets.example.yaml).</p>",
            values={"month": month.name, "budgets": []},
        )
    as_of = min(ctx.now_ms, month.end_ms)
    statuses = sorted(
        month_statuses(ctx.config, ctx.data, month, as_of), key=lambda s: (-s.share, s.scope, s.name, s.kind)
    )
    top = statuses[0].share if statuses else 0.0
    warn = min(ctx.config.thresholds, default=80)
    crossed = sum(1 for st in statuses if st.share * 100 >= warn)
    shown, hidden = statuses[:BUDGET_ROWS], statuses[BUDGET_ROWS:]
    rows = []
    for st in shown:
        cls = "over" if st.share >= 1 else "warn" if st.share * 100 >= warn else ""
        share = Markup(f'<span class="{cls}">{fmt_pct(st.share)}</span>')
        rows.append(
            (
                f"{st.scope}: {st.name}",
                st.kind,
                _amount(st.kind, st.spent),
                _amount(st.kind, st.limit),
                share,
                _amount(st.kind, st.burn_per_day),
                f"{_amount(st.kind, st.projected_month_total)} "
                f"({_amount(st.kind, st.projected_low)}–{_amount(st.kind, st.projected_high)})",
                _date(st.exhaustion_ms, st),
            )
        )
    svg = ctx.charts.bars(
        [(f"{s.scope}:{s.name} {s.kind}", s.share * 100) for s in statuses[:12]],
        value_format="{:.0f}%",
        max_value=max(100.0, top * 100),
        height=max(160, 24 * min(len(statuses), 12) + 60),
    )
    more = f'<p class="sub">{len(hidden):,} more, all at or below {fmt_pct(hidden[0].share)}.</p>' if hidden else ""
    values = {
        "month": month.name,
        "as_of": datetime.fromtimestamp(as_of / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "count": len(statuses),
        "at_or_over_warning": crossed,
        "budgets": [s.to_json() for s in shown],
    }
    header = ("budget", "kind", "spent", "limit", "used", "expected/day", "month-end forecast (90% band)", "runs out")
    return WidgetResult(
        headline=f"{month.name}: highest {fmt_pct(top)}",
        value=r6(top),
        values=values,
        body=svg + table(header, rows, (2, 3, 4, 5, 6)) + more,
        note=f"month to date; forecast from recent weekdays and weekends; alerts at "
        f"{', '.join(f'{t}%' for t in ctx.config.thresholds)} (once per threshold per month); "
        f"cost = {ctx.config.cost_metric} ({load_rate_card().describe()})",
    )
