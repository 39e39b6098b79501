"""Cost from the two signals, per window: events (`cost_usd_micros`, exact integers), the `cost.usage` metric (the
same client estimate summed as doubles), and token usage × list price (`ccstream.token_cost.usd`).

Events and `cost.usage` must agree (the CLI derives both from the same requests): a difference beyond
`EVENTS_TOLERANCE` means one signal lost or doubled data (an exporter drop, a retention gap, a broken consumer).
List-priced tokens differ by design (the client's implied prices vs the rate card; cache writes priced as 5 m);
beyond `PRICED_TOLERANCE` it is reported too, as `ccstream query` already does for the metrics.
`ccstream query events.reconcile --window 1h` prints the table and the flagged windows.
"""

from __future__ import annotations

from dataclasses import dataclass

from consumers.query.api import COST_PAIR, query_metric
from consumers.query.events import merged_windows
from consumers.query.reader import RowReader

RECONCILE_NAME = "events.reconcile"
#: Relative difference allowed between events and `cost.usage` (double rounding of many small sums).
EVENTS_TOLERANCE = 0.001
PRICED_TOLERANCE = 0.25
MICROS = 1_000_000


@dataclass(frozen=True)
class CostCheck:
    window_start_ms: int
    events_usd: float
    metrics_usd: float
    priced_usd: float

    @property
    def events_vs_metrics(self) -> bool:
        """True when events and `cost.usage` disagree beyond `EVENTS_TOLERANCE` (or one of them is missing)."""
        a, b = self.events_usd, self.metrics_usd
        return abs(a - b) > EVENTS_TOLERANCE * max(a, b, 1e-9) and max(a, b) >= 1e-6

    @property
    def events_vs_priced(self) -> bool:
        a, b = self.events_usd, self.priced_usd
        return max(a, b) > 0.01 and abs(a - b) > PRICED_TOLERANCE * max(a, b)

    def to_json(self) -> dict[str, object]:
        return {
            "events_usd": self.events_usd,
            "metrics_usd": self.metrics_usd,
            "priced_usd": self.priced_usd,
            "events_vs_metrics": self.events_vs_metrics,
            "events_vs_priced": self.events_vs_priced,
        }


def cost_reconciliation(reader: RowReader, window: str, from_ms: int, to_ms: int) -> list[CostCheck]:
    events = {
        start: sum(c.get("cost_usd_micros", 0) for c in p.groups.get("api", {}).values()) / MICROS
        for start, p in merged_windows(reader, window, from_ms, to_ms).items()
    }
    metrics = {r.window_start_ms: r.value for r in query_metric(reader, COST_PAIR[0], window, (), from_ms, to_ms)}
    priced = {r.window_start_ms: r.value for r in query_metric(reader, COST_PAIR[1], window, (), from_ms, to_ms)}
    return [
        CostCheck(start, events.get(start, 0.0), metrics.get(start, 0.0), priced.get(start, 0.0))
        for start in sorted(events.keys() | metrics.keys() | priced.keys())
    ]
