"""Charts as inline SVG, drawn by pygal (never hand-written SVG), with no script: CloudWatch custom widgets run no
JavaScript, so pygal's tooltip script and config block are left out and the chart is static.

pygal takes ~25 ms per chart, so a `ChartCache` (owned by a long-running server) keeps the SVG of recent inputs:
an auto-refresh over unchanged data redraws nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pygal
from pygal.style import Style

_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)

STYLE = Style(
    background="transparent",
    plot_background="rgba(255,255,255,0)",
    foreground="#333",
    foreground_strong="#111",
    foreground_subtle="#888",
    font_family="Helvetica, Arial, sans-serif",
    label_font_size=11,
    major_label_font_size=11,
    legend_font_size=11,
    value_font_size=11,
    title_font_size=13,
    opacity=".75",
    colors=(
        "#1f77b4",
        "#ff7f0e",
        "#2ca02c",
        "#d62728",
        "#9467bd",
        "#8c564b",
        "#e377c2",
        "#7f7f7f",
        "#bcbd22",
        "#17becf",
    ),
)

Series = Sequence[tuple[str, Sequence[float | None]]]


@dataclass
class ChartCache:
    """Bounded LRU of rendered SVG keyed by the chart's inputs (thread-safe: one server serves many requests)."""

    capacity: int = 256
    _items: OrderedDict[str, str] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    hits: int = 0

    def get_or_draw(self, key: str, draw: Callable[[], str]) -> str:
        with self._lock:
            svg = self._items.get(key)
            if svg is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return svg
        svg = draw()
        with self._lock:
            self._items[key] = svg
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
        return svg


def _base(width: int, height: int, **extra: object) -> dict[str, object]:
    return {
        "style": STYLE,
        "width": width,
        "height": height,
        "explicit_size": False,
        "disable_xml_declaration": True,
        "js": [],
        "tooltip_fancy_mode": False,
        "legend_at_bottom": True,
        "legend_box_size": 10,
        "margin": 8,
        "no_data_text": "No data in this range",
        "truncate_legend": 40,
        "truncate_label": -1,
        **extra,
    }


def _compact(value: float | None) -> str:
    v = value or 0
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(v) >= size:
            return f"{v / size:.3g}{unit}"
    return f"{v:.3g}"


def _clean(svg: str) -> str:
    return _COMMENT.sub("", _SCRIPT.sub("", svg))


class Charts:
    """Draws the dashboard's chart kinds; memoised through an optional cache."""

    def __init__(self, cache: ChartCache | None = None) -> None:
        self.cache = cache

    def _draw(self, kind: str, spec: dict[str, object], build: Callable[[], pygal.Graph]) -> str:
        def render() -> str:
            chart = build()
            return _clean(chart.render(is_unicode=True))

        if self.cache is None:
            return render()
        key = hashlib.sha1(json.dumps([kind, spec], sort_keys=True, default=str).encode()).hexdigest()
        return self.cache.get_or_draw(key, render)

    def lines(
        self,
        x_labels: Sequence[str],
        series: Series,
        *,
        stacked: bool = False,
        width: int = 600,
        height: int = 260,
        y_title: str | None = None,
    ) -> str:
        """Over-time chart: one line (or stacked area) per series; at most ~8 x labels are printed."""
        spec = {"x": list(x_labels), "s": [(n, list(v)) for n, v in series], "st": stacked, "w": width, "y": y_title}

        def build() -> pygal.Graph:
            cls = pygal.StackedLine if stacked else pygal.Line
            chart = cls(
                **_base(
                    width,
                    height,
                    show_dots=len(x_labels) <= 2,
                    fill=stacked,
                    show_minor_x_labels=False,
                    x_labels_major_count=min(8, max(len(x_labels), 1)),
                    x_label_rotation=0,
                    y_title=y_title,
                    include_x_axis=True,
                    value_formatter=_compact,
                )
            )
            chart.x_labels = list(x_labels)
            for name, values in series:
                chart.add(name, list(values))
            return chart

        return self._draw("lines", spec, build)

    def bars(
        self,
        items: Sequence[tuple[str, float]],
        *,
        horizontal: bool = True,
        width: int = 600,
        height: int = 260,
        value_format: str | None = None,
        max_value: float | None = None,
    ) -> str:
        """One bar per (label, value), labelled with its value."""
        spec = {"i": [list(i) for i in items], "h": horizontal, "w": width, "hh": height, "f": value_format}

        def build() -> pygal.Graph:
            cls = pygal.HorizontalBar if horizontal else pygal.Bar
            chart = cls(
                **_base(
                    width,
                    height,
                    show_legend=False,
                    print_values=True,
                    print_values_position="top",
                    value_formatter=(lambda v: value_format.format(v or 0)) if value_format else _compact,
                    range=(0, max_value) if max_value else None,
                )
            )
            chart.x_labels = [label for label, _ in items]
            chart.add("", [value for _, value in items])
            return chart

        return self._draw("bars", spec, build)

    def grouped_bars(
        self, x_labels: Sequence[str], series: Series, *, stacked: bool = False, width: int = 600, height: int = 260
    ) -> str:
        spec = {"x": list(x_labels), "s": [(n, list(v)) for n, v in series], "st": stacked, "w": width}

        def build() -> pygal.Graph:
            cls = pygal.StackedBar if stacked else pygal.Bar
            chart = cls(**_base(width, height, x_label_rotation=0, show_minor_x_labels=True))
            chart.x_labels = list(x_labels)
            for name, values in series:
                chart.add(name, list(values))
            return chart

        return self._draw("grouped", spec, build)

    def pie(self, items: Sequence[tuple[str, float]], *, width: int = 640, height: int = 260) -> str:
        spec = {"i": [list(i) for i in items], "w": width}

        def build() -> pygal.Graph:
            chart = pygal.Pie(**_base(width, height, inner_radius=0.45, legend_at_bottom=False))
            for label, value in items:
                chart.add(label, [value])
            return chart

        return self._draw("pie", spec, build)
