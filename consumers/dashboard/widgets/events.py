"""Event widgets (issue 16): API latency p50/p95 by model over time, error and exhausted-retry rates by model and
status, tool success rate and p95 duration by tool, top tools, subagent cost share.

They read the event rows (`E`) through `consumers/query/events.py`: every shard's partial of a window merged,
the range's total from its covering windows (`TimeRange.cover`), quantiles from merged sketches (within 1 %).
"""

from __future__ import annotations

from consumers.aggregates.events import FAILURES, SUCCESSES, EventPartial
from consumers.dashboard.html import WidgetResult, fmt_int, fmt_pct, fmt_usd, table
from consumers.dashboard.widgets.context import WidgetContext, axis_label, point_label, r6, ranked
from consumers.query.events import merged_windows

MAIN = "main"  # the label of requests made by no subagent (no `agent.name`)


def _total(ctx: WidgetContext) -> EventPartial:
    out = EventPartial()
    for seg in ctx.range.cover():
        for p in merged_windows(ctx.data.reader, seg.size, seg.from_ms, seg.to_ms).values():
            out.merge(p)
    return out


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} ms"


def api_latency(ctx: WidgetContext) -> WidgetResult:
    size = ctx.window_size
    windows = merged_windows(ctx.data.reader, size, ctx.range.from_ms, ctx.range.to_ms)
    starts = ctx.range.starts(size)
    by_window = {s: p.sketch_by("api.duration_ms", ("model",), ("model",)) for s, p in windows.items()}
    total = _total(ctx).sketch_by("api.duration_ms", ("model",), ("model",))
    models = [m for (m,) in sorted(total)]
    series: list[tuple[str, list[float | None]]] = []
    points = []
    for model in models:
        p50: list[float | None] = []
        p95: list[float | None] = []
        for start in starts:
            sk = by_window.get(start, {}).get((model,))
            a, b = (None, None) if sk is None else (sk.quantile(0.5), sk.quantile(0.95))
            p50.append(a)
            p95.append(b)
            if a is not None and b is not None:
                points.append([point_label(start), model, r6(a), r6(b)])
        series += [(f"{model} p50", p50), (f"{model} p95", p95)]
    figures = {
        m: {"p50": total[(m,)].quantile(0.5), "p95": total[(m,)].quantile(0.95), "requests": total[(m,)].count}
        for m in models
    }
    svg = ctx.charts.lines([axis_label(s, size) for s in starts], series, y_title="ms")
    rows = [(m, fmt_int(f["requests"] or 0), _ms(f["p50"]), _ms(f["p95"])) for m, f in figures.items()]
    overall = max((f["p95"] or 0.0 for f in figures.values()), default=None)
    return WidgetResult(
        headline=f"p95 {_ms(overall)}" if figures else "no API requests",
        value=None if overall is None else r6(overall),
        values={
            "models": {
                m: {k: (r6(v) if isinstance(v, float) else v) for k, v in f.items()} for m, f in figures.items()
            },
            "series": points,
            "size": size,
        },
        body=svg + table(("model", "requests", "p50", "p95"), rows, numeric=(1, 2, 3)),
        note="API request duration (ms) per model, from mergeable sketches (±1 %); the headline is the slowest p95.",
    )


def api_errors(ctx: WidgetContext) -> WidgetResult:
    p = _total(ctx)
    requests = {m: c.get("requests", 0) for (m,), c in p.group_by("api", ("model",)).items()}
    errors = p.group_by("error", ("model", "status_code"))
    exhausted = p.group_by("exhausted", ("model", "status_code"))
    keys = sorted(errors.keys() | exhausted.keys())
    rows, figures = [], {}
    for model, status in keys:
        e = errors.get((model, status), {}).get("errors", 0)
        x = exhausted.get((model, status), {}).get("exhausted", 0)
        attempts = requests.get(model, 0) + sum(c.get("errors", 0) for (m, _), c in errors.items() if m == model)
        rate = e / attempts if attempts else None
        xrate = x / attempts if attempts else None
        figures[f"{model} {status}"] = {
            "errors": e,
            "exhausted": x,
            "error_rate": rate and r6(rate),
            "exhausted_rate": xrate and r6(xrate),
        }
        rows.append((model, status, fmt_int(e), fmt_pct(rate), fmt_int(x), fmt_pct(xrate)))
    total_errors = sum(c.get("errors", 0) for c in errors.values())
    total_requests = sum(requests.values()) + total_errors
    overall = total_errors / total_requests if total_requests else None
    return WidgetResult(
        headline=f"{fmt_pct(overall)} failed" if total_requests else "no API requests",
        value=None if overall is None else r6(overall),
        values={"groups": figures, "requests": sum(requests.values()), "errors": total_errors},
        body=table(
            ("model", "status", "errors", "error rate", "retries exhausted", "exhausted rate"),
            rows,
            numeric=(2, 3, 4, 5),
        ),
        note="A request that failed after its retries is one api_error; recovered retries leave no event.",
    )


def tool_reliability(ctx: WidgetContext) -> WidgetResult:
    p = _total(ctx)
    results = {t: c for (t,), c in p.group_by("tool_result", ("tool_name",)).items()}
    sketches = {t: s for (t,), s in p.sketch_by("tool_result.duration_ms", ("tool_name",), ("tool_name",)).items()}
    rows, figures, bars = [], {}, []
    for tool, _ in ranked({t: c.get("results", 0) for t, c in results.items()}):
        c = results[tool]
        done = c.get(SUCCESSES, 0) + c.get(FAILURES, 0)
        rate = c.get(SUCCESSES, 0) / done if done else None
        p95 = sketches[tool].quantile(0.95) if tool in sketches else None
        figures[tool] = {
            "results": c.get("results", 0),
            "success_rate": None if rate is None else r6(rate),
            "p95_ms": None if p95 is None else r6(p95),
        }
        rows.append((tool, fmt_int(c.get("results", 0)), fmt_pct(rate), _ms(p95)))
        if rate is not None:
            bars.append((tool, rate * 100))
    svg = ctx.charts.bars(bars, value_format="{:.0f}%", max_value=100.0, height=max(160, 24 * len(bars) + 60))
    return WidgetResult(
        headline=f"{len(results)} tools",
        value=len(results),
        values={"tools": figures},
        body=svg + table(("tool", "results", "success", "p95 duration"), rows, numeric=(1, 2, 3)),
        note="Success of tools that ran; a rejected tool has no result (see Top Tools for decisions).",
    )


def top_tools(ctx: WidgetContext) -> WidgetResult:
    p = _total(ctx)
    decisions = p.group_by("tool_decision", ("tool_name", "decision"))
    calls: dict[str, dict[str, int]] = {}
    for (tool, decision), c in decisions.items():
        calls.setdefault(tool, {})[decision] = calls.get(tool, {}).get(decision, 0) + c.get("decisions", 0)
    order = ranked({t: float(sum(d.values())) for t, d in calls.items()}, limit=15)
    svg = ctx.charts.bars([(t, n) for t, n in order], height=max(160, 24 * len(order) + 60))
    rows = [(t, fmt_int(n), fmt_int(calls[t].get("accept", 0)), fmt_int(calls[t].get("reject", 0))) for t, n in order]
    return WidgetResult(
        headline=order[0][0] if order else "no tool calls",
        value=int(sum(n for _, n in order)),
        values={"tools": {t: calls[t] for t, _ in order}},
        body=svg + table(("tool", "decisions", "accepted", "rejected"), rows, numeric=(1, 2, 3)),
    )


def subagent_cost_share(ctx: WidgetContext) -> WidgetResult:
    p = _total(ctx)
    cost = {(a or MAIN): c.get("cost_usd_micros", 0) / 1e6 for (a,), c in p.group_by("api", ("agent.name",)).items()}
    total = sum(cost.values())
    order = ranked(cost)
    shares = {a: (v / total if total else 0.0) for a, v in order}
    sub = sum(v for a, v in cost.items() if a != MAIN)
    svg = ctx.charts.pie([(a, v) for a, v in order]) if order else ""
    rows = [(a, fmt_usd(v), fmt_pct(shares[a])) for a, v in order]
    return WidgetResult(
        headline=f"{fmt_pct(sub / total if total else None)} by subagents",
        value=None if not total else r6(sub / total),
        values={"cost_usd": {a: r6(v) for a, v in cost.items()}, "share": {a: r6(s) for a, s in shares.items()}},
        body=svg + table(("agent", "cost", "share"), rows, numeric=(1, 2)),
        note="Exact cost from the api_request events' cost_usd_micros (the client's estimate).",
    )
