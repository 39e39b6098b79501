"""The local dashboard page: the twenty widgets on a 24-column grid (as in CloudWatch), a time-range picker and
auto-refresh. Plain server-rendered HTML: the page works (and is tested) without running any script.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from consumers.dashboard.html import WIDGET_CSS
from consumers.dashboard.render import RenderedWidget
from consumers.dashboard.timerange import TimeRange

PRESETS = ("15m", "1h", "3h", "12h", "1d", "3d", "7d", "30d")
REFRESH_CHOICES = ((0, "off"), (30, "30 s"), (60, "1 min"), (300, "5 min"))

PAGE_CSS = """
body{margin:0;background:#f3f4f6;font:13px/1.35 Helvetica,Arial,sans-serif}
header{display:flex;flex-wrap:wrap;gap:12px;align-items:center;padding:10px 16px;background:#232f3e;color:#fff}
header h1{font-size:17px;margin:0 12px 0 0}
header form{display:flex;flex-wrap:wrap;gap:8px;align-items:center}
header label{font-size:12px}
header input,header select,header button{font-size:12px}
header .meta{margin-left:auto;font-size:11px;opacity:.8}
main{display:grid;grid-template-columns:repeat(24,1fr);gap:10px;padding:12px}
.widget{background:#fff;border:1px solid #ddd;border-radius:4px;padding:8px 10px;overflow:hidden}
@media (max-width:900px){main{grid-template-columns:1fr}.widget{grid-column:auto!important}}
"""


@dataclass(frozen=True)
class PageRequest:
    """What the picker asked for: a relative preset (`range`, which wins) or an absolute `from`/`to` (ISO; `to`
    defaults to now), and the auto-refresh interval in seconds (0 = off)."""

    preset: str | None
    from_iso: str | None
    to_iso: str | None
    refresh_s: int


def _picker(req: PageRequest) -> str:
    options = "".join(f'<option value="{p}"{" selected" if p == req.preset else ""}>last {p}</option>' for p in PRESETS)
    custom = "" if req.preset else " selected"
    refresh = "".join(
        f'<option value="{s}"{" selected" if s == req.refresh_s else ""}>{label}</option>'
        for s, label in REFRESH_CHOICES
    )
    return (
        '<form method="get" action="/">'
        f'<label>range <select name="range"><option value=""{custom}>custom</option>{options}</select></label>'
        f'<label>from <input name="from" size="20" placeholder="2026-11-20T22:00Z" '
        f'value="{escape(req.from_iso or "", quote=True)}"></label>'
        f'<label>to <input name="to" size="20" placeholder="now" value="{escape(req.to_iso or "", quote=True)}">'
        "</label>"
        f'<label>auto-refresh <select name="refresh">{refresh}</select></label>'
        '<button type="submit">Apply</button></form>'
    )


def page_html(req: PageRequest, rng: TimeRange, widgets: list[RenderedWidget], elapsed_s: float) -> str:
    refresh = f'<meta http-equiv="refresh" content="{req.refresh_s}">' if req.refresh_s > 0 else ""
    cells = "".join(w.html for w in widgets)
    failed = sum(1 for w in widgets if not w.ok)
    status = f"{len(widgets)} widgets · {elapsed_s * 1000:.0f} ms" + (f" · {failed} failed" if failed else "")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>ccstream · Claude Code usage</title>{refresh}"
        f"<style>{PAGE_CSS}{WIDGET_CSS}</style></head><body>"
        f"<header><h1>Claude Code usage</h1>{_picker(req)}"
        f'<span class="meta" data-range-from="{rng.from_ms}" data-range-to="{rng.to_ms}">'
        f"{escape(rng.label)} · {escape(status)}</span></header>"
        f'<main id="widgets" data-widget-count="{len(widgets)}">{cells}</main></body></html>'
    )


def error_page(message: str, req: PageRequest) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>ccstream · error</title>'
        f"<style>{PAGE_CSS}</style></head><body><header><h1>Claude Code usage</h1>{_picker(req)}</header>"
        f'<main><section class="widget" style="grid-column:span 24"><p class="error">{escape(message)}</p>'
        "</section></main></body></html>"
    )
