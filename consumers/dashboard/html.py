"""The HTML of one widget: a `<section data-widget=ID>` with its key figures as text and as attributes.

`data-value` holds the headline figure and `data-values` a JSON object of every figure the widget shows, so a
browser test (or anyone scraping the page) can read exact numbers next to the chart. The same fragment is what
a CloudWatch custom widget Lambda returns; it carries its own small stylesheet and no script.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

WIDGET_CSS = """
.ccw{font:13px/1.35 Helvetica,Arial,sans-serif;color:#222}
.ccw h2{font-size:14px;margin:0 0 4px}
.ccw .headline{font-size:30px;font-weight:600;margin:2px 0}
.ccw .sub{color:#555;margin:0 0 4px}
.ccw .note{color:#777;font-size:11px;margin:4px 0 0}
.ccw .error{color:#b00020}
.ccw table{border-collapse:collapse;width:100%;font-size:12px}
.ccw th,.ccw td{padding:2px 6px;border-bottom:1px solid #eee;text-align:left}
.ccw td.n,.ccw th.n{text-align:right;font-variant-numeric:tabular-nums}
.ccw .over{color:#b00020;font-weight:600}
.ccw .warn{color:#b36b00;font-weight:600}
.ccw svg{max-width:100%;height:auto}
"""


@dataclass
class WidgetResult:
    """What a widget renderer returns (its chrome — title, range, attributes — is added by `widget_html`)."""

    headline: str = ""
    value: Any = None
    values: dict[str, Any] = field(default_factory=dict)
    body: str = ""
    note: str = ""


def fmt_int(value: float) -> str:
    return f"{round(value):,}"


def fmt_usd(value: float) -> str:
    return f"${value:,.2f}"


def fmt_pct(ratio: float | None) -> str:
    return "—" if ratio is None else f"{ratio * 100:.1f}%"


def compact(value: float) -> str:
    """1234567 → 1.23M (headline figures)."""
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            return f"{value / size:.2f}{unit}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], numeric: Sequence[int] = ()) -> str:
    """A plain table; cells are escaped; columns listed in `numeric` are right-aligned."""
    num = set(numeric)
    head = "".join(
        f'<th class="n">{escape(h)}</th>' if i in num else f"<th>{escape(h)}</th>" for i, h in enumerate(headers)
    )
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            cls = ' class="n"' if i in num else ""
            cells.append(f"<td{cls}>{cell if isinstance(cell, Markup) else escape(str(cell))}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


class Markup(str):
    """A string that is already HTML (not escaped again by `table`)."""


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def widget_html(
    widget_id: str, title: str, range_label: str, result: WidgetResult, standalone: bool = False, columns: int = 0
) -> str:
    """The widget's `<section>`; `standalone` adds the stylesheet (a CloudWatch custom widget has no page);
    `columns` > 0 places it on the page's 24-column grid."""
    values = escape(json.dumps(_json_safe(result.values), sort_keys=True, separators=(",", ":")), quote=True)
    value = "" if result.value is None else escape(str(_json_safe(result.value)), quote=True)
    style = f' style="grid-column:span {columns}"' if columns else ""
    parts = [
        f'<section class="ccw widget"{style} data-widget="{escape(widget_id, quote=True)}" data-value="{value}" '
        f'data-values="{values}">',
        f"<h2>{escape(title)}</h2>",
    ]
    if result.headline:
        parts.append(f'<div class="headline" data-role="headline">{escape(result.headline)}</div>')
    parts.append(result.body)
    if result.note:
        parts.append(f'<p class="note">{escape(result.note)}</p>')
    parts.append(f'<p class="note">{escape(range_label)}</p>')
    parts.append("</section>")
    html = "".join(parts)
    if standalone:
        return f"<style>{WIDGET_CSS}</style>{html}"
    return html


def error_result(message: str) -> WidgetResult:
    return WidgetResult(body=f'<p class="error">{escape(message)}</p>', values={"error": message})
