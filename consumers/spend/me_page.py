"""The `/me` page: one developer's own figures as a small static HTML page (no script), or why not (401)."""

from __future__ import annotations

from html import escape

from consumers.spend.me import MyFigures
from consumers.spend.months import iso_day

STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem;max-width:48rem}"
    "table{border-collapse:collapse}td,th{padding:.25rem .75rem;text-align:right}"
    "td:first-child,th:first-child{text-align:left}.over{color:#b00020;font-weight:600}.sub{color:#666}"
)


def _usd(v: float | None) -> str:
    return "unpriced" if v is None else f"${v:,.2f}"


def me_html(f: MyFigures, who: str) -> str:
    rows = [
        ("Today", _usd(f.today_usd), f"{f.today_tokens:,.0f}"),
        ("This month so far", _usd(f.month_usd), f"{f.month_tokens:,.0f}"),
        (
            "Month-end forecast",
            f"{_usd(f.projected_usd)} ({_usd(f.projected_low_usd)}–{_usd(f.projected_high_usd)})",
            "",
        ),
    ]
    body = ["<table><tr><th></th><th>USD</th><th>tokens</th></tr>"]
    body += [f"<tr><td>{escape(a)}</td><td>{escape(b)}</td><td>{escape(c)}</td></tr>" for a, b, c in rows]
    body.append("</table>")
    for b in f.budgets:
        cls = ' class="over"' if b.over else ""
        runs_out = "not this month" if b.exhaustion_ms is None else iso_day(b.exhaustion_ms)
        amount = (
            _usd(b.spent) + " of " + _usd(b.limit) if b.kind == "cost" else f"{b.spent:,.0f} of {b.limit:,.0f} tokens"
        )
        body.append(
            f"<p{cls}>Budget ({escape(b.kind)}, limit from {escape(b.source)}): {escape(amount)} "
            f"({b.share:.0%}); at the expected rate it runs out: {escape(runs_out)}.</p>"
        )
    if f.by_model is not None:
        body.append("<h2>This month by model</h2><table><tr><th>model</th><th>USD</th><th>tokens</th></tr>")
        body += [f"<tr><td>{escape(m)}</td><td>{escape(_usd(u))}</td><td>{t:,.0f}</td></tr>" for m, u, t in f.by_model]
        body.append("</table>")
    body += [f'<p class="sub">{escape(n)}</p>' for n in f.notes]
    prices = f.prices
    body.append(
        f'<p class="sub">Prices: rate card {escape(str(prices.get("rate_card")))}, channel '
        f"{escape(str(prices.get('channel')))}. Only your own figures are shown.</p>"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>ccstream: {escape(f.user)}</title>"
        f"<style>{STYLE}</style></head><body><h1>{escape(f.user)}</h1><p class='sub'>{escape(who)}, "
        f"{escape(f.month)}, as of {escape(iso_day(f.as_of_ms))}</p>{''.join(body)}</body></html>"
    )


def unauthenticated_html(reason: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>ccstream: who are you?</title>"
        f"<style>{STYLE}</style></head><body><h1>Sign in</h1><p>{escape(reason)}</p>"
        "<p class='sub'>/me shows the figures of the developer whose OIDC ID token comes with the request "
        "(Authorization: Bearer …), the same token the credential helper sends with telemetry.</p></body></html>"
    )
