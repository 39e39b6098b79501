"""People widgets: Active Users (exact), Active Users over time, Users over time, Top Users, Active Hours.

Users are keyed by `user.email`, falling back to `user.id` (OAuth-less sign-ins have no email), so nobody shows as
zero or disappears. Distinct users are exact: the user sets of every covering window are unioned. Sessions are
exact too, unless a user passed `CCSTREAM_MAX_SESSIONS_PER_USER` in a window: the count then comes from that user's
HLL sketch and the widget says "≈" (`sessions_approximate` in its values).
"""

from __future__ import annotations

from datetime import UTC, datetime

from consumers.aggregates.partials import distinct_sessions
from consumers.dashboard.html import WidgetResult, compact, fmt_int, fmt_usd, table
from consumers.dashboard.widgets.context import WidgetContext, axis_label, point_label, r6, ranked
from schemas.catalogue import ACTIVE_TIME, COST_USAGE, TOKEN_USAGE

TOP_N = 10


def active_users(ctx: WidgetContext) -> WidgetResult:
    up = ctx.data.total_users(ctx.range)
    sessions = distinct_sessions(list(up.users.values()))
    with_email = sum(1 for u in up.users if "@" in u)
    values = {
        "users": len(up.users),
        "sessions": int(sessions.value),
        "sessions_approximate": sessions.approximate,
        "without_email": len(up.users) - with_email,
    }
    shown = (
        f"≈ {int(sessions.value):,} sessions (approximate)"
        if sessions.approximate
        else f"{int(sessions.value):,} sessions"
    )
    return WidgetResult(
        headline=f"{len(up.users):,}",
        value=len(up.users),
        values=values,
        body=f'<p class="sub">{shown} · {values["without_email"]:,} identified by user.id</p>',
        note="distinct users in the range (email, else user.id)",
    )


def active_users_over_time(ctx: WidgetContext) -> WidgetResult:
    series = ctx.data.user_key_series(ctx.range)
    size = ctx.range.user_series_size
    counts = [len(users) for _, users in series]
    svg = ctx.charts.lines([axis_label(s, size) for s, _ in series], [("active users", counts)])
    values = {
        "size": size,
        "peak": max(counts, default=0),
        "series": [[point_label(s), c] for (s, _), c in zip(series, counts, strict=True)],
    }
    return WidgetResult(headline=f"peak {values['peak']:,}", value=values["peak"], values=values, body=svg)


def users_over_time(ctx: WidgetContext) -> WidgetResult:
    """New users per interval and the running count of distinct users since the range began (adoption)."""
    series = ctx.data.user_key_series(ctx.range)
    size = ctx.range.user_series_size
    seen: set[str] = set()
    new, cumulative = [], []
    for _, users in series:
        fresh = users - seen
        seen |= fresh
        new.append(len(fresh))
        cumulative.append(len(seen))
    svg = ctx.charts.lines(
        [axis_label(s, size) for s, _ in series], [("distinct users so far", cumulative), ("new users", new)]
    )
    values = {
        "size": size,
        "total": len(seen),
        "series": [[point_label(s), n, c] for (s, _), n, c in zip(series, new, cumulative, strict=True)],
    }
    return WidgetResult(headline=f"{len(seen):,} users", value=len(seen), values=values, body=svg)


def top_users(ctx: WidgetContext) -> WidgetResult:
    cost_metric = ctx.config.cost_metric
    sums = ctx.data.total_user_sums(ctx.range, (TOKEN_USAGE, cost_metric, COST_USAGE))
    tokens = {u: s.get(TOKEN_USAGE, 0.0) for u, s in sums.items()}
    cost = {u: s.get(cost_metric, 0.0) for u, s in sums.items()}
    reported = {u: s.get(COST_USAGE, 0.0) for u, s in sums.items()}
    by_tokens = [u for u, v in ranked(tokens, TOP_N) if v > 0]
    by_cost = [u for u, v in ranked(cost, TOP_N) if v > 0]
    svg = ctx.charts.bars([(u, tokens[u]) for u in by_tokens], height=max(160, 24 * len(by_tokens) + 60))
    rows_t = [(u, fmt_int(tokens[u]), fmt_usd(cost[u])) for u in by_tokens]
    rows_c = [(u, fmt_usd(cost[u]), fmt_usd(reported[u]), fmt_int(tokens[u])) for u in by_cost]
    body = (
        svg
        + "<h3>by tokens</h3>"
        + table(("user", "tokens", "cost"), rows_t, (1, 2))
        + "<h3>by cost</h3>"
        + table(("user", "cost (list price)", "cost (Claude Code)", "tokens"), rows_c, (1, 2, 3))
    )
    values = {
        "by_tokens": [[u, round(tokens[u]), r6(cost[u])] for u in by_tokens],
        "by_cost": [[u, r6(cost[u]), round(tokens[u])] for u in by_cost],
    }
    return WidgetResult(
        value=by_tokens[0] if by_tokens else None,
        values=values,
        body=body,
        note=f"cost = {cost_metric}; users without an email are shown by user.id",
    )


def active_hours(ctx: WidgetContext) -> WidgetResult:
    """Active time (user and CLI) in hours, and when in the day (UTC) it happens."""
    types = ctx.by_one(ctx.data.total_window(ctx.range), "type", ACTIVE_TIME)
    user_h, cli_h = types.get("user", 0.0) / 3600, types.get("cli", 0.0) / 3600
    size = "1m" if ctx.range.grain == "1m" else "1h"
    by_hour = [0.0] * 24
    for start, groups in ctx.data.window_groups(size, ctx.range.from_ms, ctx.range.to_ms, ("type",)).items():
        hour = datetime.fromtimestamp(start / 1000, UTC).hour
        seconds = sum(groups.get((t,), {}).get(ACTIVE_TIME, 0.0) for t in ("user", "cli"))
        by_hour[hour] += seconds / 3600
    svg = ctx.charts.grouped_bars([f"{h:02d}" for h in range(24)], [("active hours (UTC hour of day)", by_hour)])
    values = {
        "hours": r6(user_h + cli_h),
        "user": r6(user_h),
        "cli": r6(cli_h),
        "by_hour": {f"{h:02d}": r6(v) for h, v in enumerate(by_hour) if v},
    }
    return WidgetResult(
        headline=f"{compact(user_h + cli_h)} h",
        value=values["hours"],
        values=values,
        body=f'<p class="sub">user {user_h:,.1f} h · CLI {cli_h:,.1f} h</p>' + svg,
        note="claude_code.active_time.total (type user + cli)",
    )
