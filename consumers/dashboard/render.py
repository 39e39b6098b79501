"""Render widgets to HTML: one at a time (the Lambda) or all twenty sharing one data cache (the local page).

A failing widget shows its error in its own box and never takes the page down; the exception is logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from consumers.dashboard.html import error_result, widget_html
from consumers.dashboard.widgets.catalogue import ALL_WIDGETS, WidgetSpec
from consumers.dashboard.widgets.context import WidgetContext
from consumers.errors import CcstreamError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RenderedWidget:
    spec: WidgetSpec
    html: str
    seconds: float
    ok: bool


def render_widget(spec: WidgetSpec, ctx: WidgetContext, standalone: bool = False, grid: bool = False) -> RenderedWidget:
    started = time.perf_counter()
    ok = True
    try:
        result = spec.render(ctx)
    except CcstreamError as exc:
        ok = False
        result = error_result(str(exc))
    except Exception as exc:  # one broken widget must not break the dashboard
        log.exception("widget %s failed", spec.id)
        ok = False
        result = error_result(f"{spec.title} could not be drawn: {type(exc).__name__}: {exc}")
    html = widget_html(spec.id, spec.title, ctx.range.label, result, standalone, spec.width if grid else 0)
    return RenderedWidget(spec, html, time.perf_counter() - started, ok)


def render_all(ctx: WidgetContext, specs: Iterable[WidgetSpec] = ALL_WIDGETS) -> list[RenderedWidget]:
    return [render_widget(spec, ctx, grid=True) for spec in specs]
