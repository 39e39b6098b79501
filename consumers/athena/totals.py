"""Lake totals per (metric, window start), for reconciling the lake with the DynamoDB aggregates.

`lake_totals(target, names, "1h", from_ms, to_ms)` sums `value` of the de-duplicated view `metrics_all` over
epoch-aligned windows `[start, start + size)` of event time, for `from_ms <= timestamp < to_ms`. It runs on
whichever engine `open_engine` picks (Athena on AWS, DuckDB over the lake mirror on an emulator).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from consumers.athena.engine import EngineChoice, QueryEngine, open_engine
from consumers.athena.views import ALL_VIEW
from consumers.aws import AwsTarget
from consumers.config import Names
from consumers.errors import ConfigError

_UNIT_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
#: Above this many days, prune by year only (a long OR list costs more to plan than it saves).
_MAX_LISTED_DAYS = 62


def window_ms(window: str) -> int:
    """`1m`, `5m`, `1h`, `1d`, `30s` → milliseconds (must divide a day, so windows align across days)."""
    m = re.fullmatch(r"\s*(\d+)\s*([smhd])\s*", window)
    if not m or int(m.group(1)) == 0:
        raise ConfigError(f"bad window {window!r}: use a size like 1m, 5m, 1h or 1d")
    size = int(m.group(1)) * _UNIT_MS[m.group(2)]
    if 86_400_000 % size and size % 86_400_000:
        raise ConfigError(f"window {window!r} does not divide a day; windows would not align")
    return size


def partition_predicate(from_ms: int, to_ms: int) -> str:
    """A WHERE fragment on year/month/day that keeps every partition holding events of [from_ms, to_ms)."""
    first = datetime.fromtimestamp(from_ms / 1000, tz=UTC).date()
    last = datetime.fromtimestamp((to_ms - 1) / 1000, tz=UTC).date()
    days = (last - first).days + 1
    if days > _MAX_LISTED_DAYS:
        return f"year BETWEEN {first.year} AND {last.year}"
    parts = [
        f"(year = {d.year} AND month = {d.month} AND day = {d.day})"
        for d in (first + timedelta(days=i) for i in range(days))
    ]
    return "(" + " OR ".join(parts) + ")"


def totals_sql(size_ms: int, from_ms: int, to_ms: int) -> str:
    """The Trino SQL behind `lake_totals`."""
    return (
        f'SELECT metric, "timestamp" - ("timestamp" % {size_ms}) AS window_start, SUM(value) AS total\n'
        f"FROM {ALL_VIEW}\n"
        f'WHERE "timestamp" >= {from_ms} AND "timestamp" < {to_ms}\n'
        f"    AND {partition_predicate(from_ms, to_ms)}\n"
        f'GROUP BY metric, "timestamp" - ("timestamp" % {size_ms})'
    )


def totals_from(engine: QueryEngine, window: str, from_ms: int, to_ms: int) -> dict[tuple[str, int], float]:
    """`lake_totals` on an engine you already have."""
    if to_ms <= from_ms:
        raise ConfigError(f"empty time range: from {from_ms} is not before to {to_ms}")
    result = engine.run(totals_sql(window_ms(window), from_ms, to_ms))
    return {(str(m), int(start)): float(total) for m, start, total in result.rows}


def lake_totals(
    target: AwsTarget,
    names: Names,
    window: str,
    from_ms: int,
    to_ms: int,
    *,
    engine: EngineChoice = "auto",
    cache_dir: Path | None = None,
    bucket: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[tuple[str, int], float]:
    """Sum of `value` per (metric, window start ms) in the lake, duplicates removed."""
    eng = open_engine(target, names, engine, cache_dir=cache_dir, bucket=bucket, progress=progress)
    return totals_from(eng, window, from_ms, to_ms)
