"""What every widget renderer receives, and small helpers to pull metrics out of merged partials."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from consumers.aggregates.partials import WindowPartial
from consumers.dashboard.charts import Charts
from consumers.dashboard.config import DashboardConfig
from consumers.dashboard.data import DashboardData
from consumers.dashboard.html import WidgetResult
from consumers.dashboard.timerange import TimeRange
from consumers.windows.definitions import iso


class MetricSource(Protocol):
    """CloudWatch metrics (native widgets rendered outside CloudWatch, e.g. on the local page)."""

    def sums_by_dimension(
        self, namespace: str, metric: str, dimension: str, from_ms: int, to_ms: int, period_s: int
    ) -> dict[str, dict[int, float]]:
        """{dimension value: {period start ms: sum}} of every metric with exactly that one dimension."""
        ...


@dataclass
class WidgetContext:
    data: DashboardData
    range: TimeRange
    config: DashboardConfig
    charts: Charts
    now_ms: int
    metrics: MetricSource | None = None

    @property
    def window_size(self) -> str:
        """Point size of over-time charts of window sums."""
        return self.range.window_series_size(self.now_ms)

    def series_by(self, attrs: tuple[str, ...], metric: str) -> list[tuple[int, dict[tuple[str, ...], float]]]:
        """(start, {value tuple of attrs: metric}) for every point of the over-time charts, empty points included
        (`attrs=()` gives the metric's total under the key `()`)."""
        size = self.window_size
        got = self.data.window_metric(size, self.range.from_ms, self.range.to_ms, attrs, metric)
        return [(start, got.get(start, {})) for start in self.range.starts(size)]

    def total(self, partial: WindowPartial, metric: str) -> float:
        """A metric summed over every signature."""
        return self.data.group(partial, ()).get((), {}).get(metric, 0.0)

    def by(self, partial: WindowPartial, attrs: tuple[str, ...], metric: str) -> dict[tuple[str, ...], float]:
        """A metric per value tuple of `attrs` (signatures lacking any of them do not count)."""
        return {k: s[metric] for k, s in self.data.group(partial, attrs).items() if s.get(metric)}

    def by_one(self, partial: WindowPartial, attr: str, metric: str) -> dict[str, float]:
        return {k[0]: v for k, v in self.by(partial, (attr,), metric).items()}


Renderer = Callable[[WidgetContext], WidgetResult]


def axis_label(start_ms: int, size: str) -> str:
    dt = datetime.fromtimestamp(start_ms / 1000, UTC)
    if size == "1d":
        return dt.strftime("%m-%d")
    if size == "1h":
        return dt.strftime("%d %H:00")
    return dt.strftime("%H:%M")


def point_label(start_ms: int) -> str:
    return iso(start_ms)


def ranked(items: dict[str, float], limit: int | None = None) -> list[tuple[str, float]]:
    """Largest first, ties by name; optionally the first `limit`."""
    out = sorted(items.items(), key=lambda kv: (-kv[1], kv[0]))
    return out if limit is None else out[:limit]


def r6(value: float) -> float:
    """Round for the machine-readable figures (floating sums differ in the last bits by summation order)."""
    return round(value, 6)
