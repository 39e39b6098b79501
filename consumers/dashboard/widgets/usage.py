"""Token widgets: Total Tokens, Cache Efficiency, Token Usage over time / by model / by type, Model Quota Usage."""

from __future__ import annotations

from consumers.dashboard.config import ModelQuota
from consumers.dashboard.html import WidgetResult, compact, fmt_int, fmt_pct, table
from consumers.dashboard.timerange import HOUR_MS, MINUTE_MS, MINUTE_ROWS_KEPT_MS, ceil_to, floor_to
from consumers.dashboard.widgets.context import (
    WidgetContext,
    axis_label,
    point_label,
    ranked,
)
from consumers.windows.definitions import iso
from schemas.catalogue import TOKEN_TYPES, TOKEN_USAGE

TYPE_NAMES = {"input": "Input", "output": "Output", "cacheRead": "Cache read", "cacheCreation": "Cache write"}


def total_tokens(ctx: WidgetContext) -> WidgetResult:
    w = ctx.data.total_window(ctx.range)
    grand = ctx.total(w, TOKEN_USAGE)
    types = ctx.by_one(w, "type", TOKEN_USAGE)
    values = {"total": round(grand), **{t: round(types.get(t, 0.0)) for t in TOKEN_TYPES}}
    rows = [(TYPE_NAMES[t], fmt_int(types.get(t, 0.0))) for t in TOKEN_TYPES]
    return WidgetResult(
        headline=compact(grand), value=round(grand), values=values, body=table(("type", "tokens"), rows, (1,))
    )


def cache_efficiency(ctx: WidgetContext) -> WidgetResult:
    types = ctx.by_one(ctx.data.total_window(ctx.range), "type", TOKEN_USAGE)
    read, write = types.get("cacheRead", 0.0), types.get("cacheCreation", 0.0)
    prompt = read + write + types.get("input", 0.0)
    eff = read / (read + write) if read + write else None
    share = read / prompt if prompt else None
    values = {
        "efficiency": None if eff is None else round(eff, 6),
        "cacheRead": round(read),
        "cacheCreation": round(write),
        "read_share_of_prompt": None if share is None else round(share, 6),
    }
    body = table(
        ("", ""),
        [
            ("cache reads", fmt_int(read)),
            ("cache writes", fmt_int(write)),
            ("reads ÷ all prompt tokens", fmt_pct(share)),
        ],
        (1,),
    )
    return WidgetResult(
        headline=fmt_pct(eff),
        value=values["efficiency"],
        values=values,
        body=body,
        note="cache reads ÷ (cache reads + cache writes)",
    )


def tokens_over_time(ctx: WidgetContext) -> WidgetResult:
    size = ctx.window_size
    by_type = ctx.series_by(("type",), TOKEN_USAGE)
    totals = [v.get((), 0.0) for _, v in ctx.series_by((), TOKEN_USAGE)]
    svg = ctx.charts.lines(
        [axis_label(s, size) for s, _ in by_type],
        [(TYPE_NAMES[t], [v.get((t,), 0.0) for _, v in by_type]) for t in TOKEN_TYPES],
        stacked=True,
        y_title=f"tokens per {size}",
    )
    values = {
        "total": round(sum(totals)),
        "size": size,
        "series": [[point_label(s), round(v)] for (s, _), v in zip(by_type, totals, strict=True)],
    }
    return WidgetResult(headline=compact(sum(totals)), value=values["total"], values=values, body=svg)


def tokens_by_model(ctx: WidgetContext) -> WidgetResult:
    models = ctx.by_one(ctx.data.total_window(ctx.range), "model", TOKEN_USAGE)
    items = ranked(models)
    svg = ctx.charts.bars(items[:12], height=max(160, 26 * min(len(items), 12) + 60))
    values = {"models": {m: round(v) for m, v in items}}
    return WidgetResult(
        value=len(items),
        values=values,
        body=svg + table(("model", "tokens"), [(m, fmt_int(v)) for m, v in items], (1,)),
        note="models as they appear in the data (new models need no configuration)",
    )


def tokens_by_type(ctx: WidgetContext) -> WidgetResult:
    types = ctx.by_one(ctx.data.total_window(ctx.range), "type", TOKEN_USAGE)
    items = [(TYPE_NAMES.get(t, t), types.get(t, 0.0)) for t in TOKEN_TYPES if types.get(t)]
    values = {"types": {t: round(types.get(t, 0.0)) for t in TOKEN_TYPES}}
    return WidgetResult(value=round(sum(types.values())), values=values, body=ctx.charts.pie(items))


def model_quota(ctx: WidgetContext) -> WidgetResult:
    """Peak per-minute use of each model over the last hour of the range, against its configured quota."""
    end = min(ctx.range.to_ms, ceil_to(ctx.now_ms, MINUTE_MS))
    start = max(ctx.range.from_ms, floor_to(end - HOUR_MS, MINUTE_MS))
    if start >= end or ctx.now_ms - start > MINUTE_ROWS_KEPT_MS:
        return WidgetResult(
            body='<p class="sub">Per-minute rows are kept for two days; pick a recent range to see quota use.</p>',
            values={"models": {}},
        )
    peaks: dict[str, tuple[float, int]] = {}
    for minute, groups in sorted(ctx.data.window_groups("1m", start, end, ("model", "type")).items()):
        per_model: dict[str, float] = {}
        for (model, typ), sums in groups.items():
            tokens = sums.get(TOKEN_USAGE, 0.0)
            quota = ctx.config.quota_for(model)
            per_model[model] = per_model.get(model, 0.0) + tokens * _weight(typ, quota)
        for model, used in per_model.items():
            if used > peaks.get(model, (-1.0, 0))[0]:
                peaks[model] = (used, minute)
    rows, bars, out = [], [], {}
    for model, used in ranked({m: p[0] for m, p in peaks.items()}):
        quota = ctx.config.quota_for(model)
        tpm = quota.tpm if quota else None
        share = used / tpm if tpm else None
        out[model] = {
            "peak_tpm": round(used),
            "peak_minute": iso(peaks[model][1]),
            "quota_tpm": tpm,
            "tpm_share": None if share is None else round(share, 6),
            "rpm": None,
            "quota_rpm": quota.rpm if quota else None,
        }
        rows.append((model, fmt_int(used), "—" if tpm is None else fmt_int(tpm), fmt_pct(share), "n/a"))
        if share is not None:
            bars.append((model, share * 100))
    body = ctx.charts.bars(bars, value_format="{:.0f}%", max_value=max(100.0, *(b for _, b in bars))) if bars else ""
    body += table(("model", "peak tokens/min", "quota TPM", "% of quota", "requests/min"), rows, (1, 2, 3, 4))
    return WidgetResult(
        value=len(out),
        values={"from": iso(start), "to": iso(end), "models": out},
        body=body,
        note=(
            "Peak minute of the last hour. Quota tokens = input + cache writes + output × burndown (cache reads "
            "only if configured). Requests/min: Claude Code's metrics carry no request count (its api_request "
            "events do)."
        ),
    )


def _weight(token_type: str, quota: ModelQuota | None) -> float:
    """How much one token of this type counts against a tokens-per-minute quota."""
    if token_type == "output":
        return quota.output_burndown if quota else 1.0
    if token_type == "cacheRead":
        return 1.0 if quota and quota.count_cache_reads else 0.0
    return 1.0 if token_type in ("input", "cacheCreation") else 0.0
