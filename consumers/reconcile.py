"""Reconciliation: the DynamoDB aggregates against the lake, per metric and window.

Both are fed by the same stream through different code (the shard pipeline's fenced partials; the lake writer's
one-row-per-point Parquet and a de-duplicating view), so equal totals are strong evidence that neither dropped nor
double-counted anything. Expected differences: events the aggregator dead-lettered as late/future (the lake keeps
them) — they are reported separately, never silently netted out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from consumers.aggregates.pricing import DERIVED_METRICS
from consumers.query.api import merge_window_rows
from consumers.query.reader import RowReader
from consumers.windows.definitions import iso

Totals = dict[tuple[str, int], float]


@dataclass(frozen=True)
class Difference:
    metric: str
    window_start_ms: int
    dynamodb: float | None
    lake: float | None

    def to_json(self) -> dict[str, object]:
        return {
            "metric": self.metric,
            "window_start": iso(self.window_start_ms),
            "dynamodb": self.dynamodb,
            "lake": self.lake,
            "delta": (self.dynamodb or 0.0) - (self.lake or 0.0),
        }


@dataclass(frozen=True)
class Reconciliation:
    compared: int
    differences: list[Difference]

    @property
    def ok(self) -> bool:
        return not self.differences


def dynamodb_totals(reader: RowReader, window: str, from_ms: int, to_ms: int) -> Totals:
    out: Totals = {}
    for start, partial in merge_window_rows(reader, window, from_ms, to_ms).items():
        for metric, value in partial.group_by(()).get((), {}).items():
            if metric not in DERIVED_METRICS:
                out[(metric, start)] = value
    return out


def compare(ddb: Totals, lake: Totals, rel_tol: float = 1e-9, abs_tol: float = 1e-9) -> Reconciliation:
    diffs = []
    for key in sorted(ddb.keys() | lake.keys(), key=lambda k: (k[1], k[0])):
        a, b = ddb.get(key), lake.get(key)
        if a is None or b is None or not math.isclose(a, b, rel_tol=rel_tol, abs_tol=abs_tol):
            diffs.append(Difference(key[0], key[1], a, b))
    return Reconciliation(compared=len(ddb.keys() | lake.keys()), differences=diffs)
