"""Development widgets: Lines Added/Removed over time, Code Acceptance Rate, Commits and PRs, Operations by type,
Code Generation by Language. Languages and tools come from the data (`code_edit_tool.decision` attributes)."""

from __future__ import annotations

from consumers.dashboard.html import WidgetResult, fmt_int, fmt_pct, table
from consumers.dashboard.widgets.context import WidgetContext, axis_label, point_label, r6, ranked
from schemas.catalogue import CODE_EDIT_DECISION, COMMITS, LINES_OF_CODE, PULL_REQUESTS


def lines_over_time(ctx: WidgetContext) -> WidgetResult:
    size = ctx.window_size
    series = ctx.series_by(("type",), LINES_OF_CODE)
    added = [v.get(("added",), 0.0) for _, v in series]
    removed = [v.get(("removed",), 0.0) for _, v in series]
    svg = ctx.charts.lines([axis_label(s, size) for s, _ in series], [("added", added), ("removed", removed)])
    values = {
        "added": round(sum(added)),
        "removed": round(sum(removed)),
        "size": size,
        "series": [[point_label(s), round(a), round(r)] for (s, _), a, r in zip(series, added, removed, strict=True)],
    }
    return WidgetResult(
        headline=f"+{fmt_int(sum(added))} / −{fmt_int(sum(removed))}", value=values["added"], values=values, body=svg
    )


def _decisions(ctx: WidgetContext, attr: str) -> dict[str, dict[str, float]]:
    """{value of attr: {accept: n, reject: n}} of edit-tool decisions in the range."""
    out: dict[str, dict[str, float]] = {}
    counts = ctx.by(ctx.data.total_window(ctx.range), (attr, "decision"), CODE_EDIT_DECISION)
    for (value, decision), n in counts.items():
        out.setdefault(value, {"accept": 0.0, "reject": 0.0})
        out[value][decision] = out[value].get(decision, 0.0) + n
    return out


def code_acceptance(ctx: WidgetContext) -> WidgetResult:
    langs = _decisions(ctx, "language")
    acc = sum(d["accept"] for d in langs.values())
    rej = sum(d["reject"] for d in langs.values())
    overall = acc / (acc + rej) if acc + rej else None
    order = ranked({lang: d["accept"] + d["reject"] for lang, d in langs.items()})
    rates = {lang: langs[lang]["accept"] / (langs[lang]["accept"] + langs[lang]["reject"]) for lang, _ in order}
    svg = ctx.charts.bars(
        [(lang, rates[lang] * 100) for lang, _ in order],
        value_format="{:.0f}%",
        max_value=100.0,
        height=max(160, 24 * len(order) + 60),
    )
    rows = [
        (lang, fmt_int(langs[lang]["accept"]), fmt_int(langs[lang]["reject"]), fmt_pct(rates[lang]))
        for lang, _ in order
    ]
    values = {
        "overall": None if overall is None else r6(overall),
        "accepted": round(acc),
        "rejected": round(rej),
        "languages": {
            lang: {
                "accepted": round(langs[lang]["accept"]),
                "rejected": round(langs[lang]["reject"]),
                "rate": r6(rates[lang]),
            }
            for lang, _ in order
        },
    }
    return WidgetResult(
        headline=fmt_pct(overall),
        value=values["overall"],
        values=values,
        body=svg + table(("language", "accepted", "rejected", "rate"), rows, (1, 2, 3)),
        note="accepted ÷ all Edit/Write/NotebookEdit decisions",
    )


def commits_prs(ctx: WidgetContext) -> WidgetResult:
    size = ctx.window_size
    series = ctx.series_by((), COMMITS)
    commits = [v.get((), 0.0) for _, v in series]
    prs = [v.get((), 0.0) for _, v in ctx.series_by((), PULL_REQUESTS)]
    svg = ctx.charts.lines([axis_label(s, size) for s, _ in series], [("commits", commits), ("pull requests", prs)])
    values = {
        "commits": round(sum(commits)),
        "pull_requests": round(sum(prs)),
        "size": size,
        "series": [[point_label(s), round(c), round(p)] for (s, _), c, p in zip(series, commits, prs, strict=True)],
    }
    return WidgetResult(
        headline=f"{fmt_int(sum(commits))} commits · {fmt_int(sum(prs))} PRs",
        value=values["commits"],
        values=values,
        body=svg,
    )


def operations_by_tool(ctx: WidgetContext) -> WidgetResult:
    tools = _decisions(ctx, "tool_name")
    order = [t for t, _ in ranked({t: d["accept"] + d["reject"] for t, d in tools.items()})]
    svg = ctx.charts.grouped_bars(
        order,
        [("accepted", [tools[t]["accept"] for t in order]), ("rejected", [tools[t]["reject"] for t in order])],
        stacked=True,
    )
    values = {"tools": {t: {"accept": round(tools[t]["accept"]), "reject": round(tools[t]["reject"])} for t in order}}
    rows = [(t, fmt_int(tools[t]["accept"]), fmt_int(tools[t]["reject"])) for t in order]
    return WidgetResult(
        value=round(sum(d["accept"] + d["reject"] for d in tools.values())),
        values=values,
        body=svg + table(("tool", "accepted", "rejected"), rows, (1, 2)),
        note="code_edit_tool.decision by tool_name",
    )


def code_by_language(ctx: WidgetContext) -> WidgetResult:
    accepted = {lang: d["accept"] for lang, d in _decisions(ctx, "language").items() if d["accept"]}
    items = ranked(accepted)
    values = {"languages": {lang: round(v) for lang, v in items}}
    return WidgetResult(
        value=round(sum(accepted.values())),
        values=values,
        body=ctx.charts.pie(items[:10]),
        note="accepted edits per language (Edit/Write/NotebookEdit)",
    )
