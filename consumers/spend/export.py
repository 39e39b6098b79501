"""Finance's export: spend per user, team, cost center or model over whole UTC days, as CSV or Parquet.

Each row is one group's sums over the days `[from, to)`, read from the 1d rows exactly as `ccstream query METRIC
--window 1d --by <attribute>` reads them (`consumers.query.api.query_metric`), so an amount here is the sum of that
command's rows. USD is rounded to the cent once, after summing. Columns: the period, the group, USD at the
effective rate card (`ccstream.token_cost.usd`), Claude Code's own estimate (`claude_code.cost.usage`), tokens, tokens
the rate card could not price, and the rate card's id (what priced the USD).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import astuple, dataclass, fields
from pathlib import Path

from consumers.aggregates.pricing import PRICED_COST, UNPRICED_TOKENS
from consumers.errors import ConfigError
from consumers.query.api import query_metric
from consumers.query.reader import RowReader, RowRecord
from consumers.spend.months import DAY_MS, iso_day
from schemas.catalogue import COST_USAGE, TOKEN_USAGE

#: `--by` → the attribute `ccstream query --by` takes
BY = {"user": "user.email", "team": "team.id", "cost_center": "cost_center", "model": "model"}
FORMATS = ("csv", "parquet")


class CachedReader:
    """Reads each (kind, size, span) once: an export asks the same rows for four metrics and four groupings."""

    def __init__(self, reader: RowReader) -> None:
        self.reader = reader
        self._rows: dict[tuple[str, str, int, int], list[RowRecord]] = {}

    def rows(self, kind: str, size: str, from_ms: int, to_ms: int) -> Iterator[RowRecord]:
        key = (kind, size, from_ms, to_ms)
        if key not in self._rows:
            self._rows[key] = list(self.reader.rows(kind, size, from_ms, to_ms))
        return iter(self._rows[key])


@dataclass(frozen=True)
class ExportRow:
    period_from: str
    period_to: str
    group_by: str
    group: str
    cost_usd: float
    claude_code_cost_usd: float
    tokens: float
    unpriced_tokens: float
    rate_card: str


def export_rows(reader: RowReader, by: str, from_ms: int, to_ms: int, rate_card: str) -> list[ExportRow]:
    if by not in BY:
        raise ConfigError(f"--by {by!r}: use one of {', '.join(BY)}")
    if from_ms % DAY_MS or to_ms % DAY_MS or to_ms <= from_ms:
        raise ConfigError("--from/--to are whole UTC days (YYYY-MM-DD), --to after --from")
    attr = BY[by]
    if not isinstance(reader, CachedReader):
        reader = CachedReader(reader)
    sums: dict[str, dict[str, float]] = {}
    for metric in (PRICED_COST, COST_USAGE, TOKEN_USAGE, UNPRICED_TOKENS):
        for row in query_metric(reader, metric, "1d", (attr,), from_ms, to_ms):
            group = row.labels[attr]
            sums.setdefault(group, {})[metric] = sums.get(group, {}).get(metric, 0.0) + row.value
    period = (iso_day(from_ms), iso_day(to_ms))
    return [
        ExportRow(
            *period,
            by,
            group,
            round(s.get(PRICED_COST, 0.0), 2),
            round(s.get(COST_USAGE, 0.0), 2),
            s.get(TOKEN_USAGE, 0.0),
            s.get(UNPRICED_TOKENS, 0.0),
            rate_card,
        )
        for group, s in sorted(sums.items(), key=lambda kv: (-kv[1].get(PRICED_COST, 0.0), kv[0]))
    ]


COLUMNS = tuple(f.name for f in fields(ExportRow))


def _cell(name: str, value: object) -> object:
    if isinstance(value, float) and name.endswith("usd"):
        return f"{value:.2f}"
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # a team or model name from telemetry must not become a spreadsheet formula
    return value


def to_csv(rows: list[ExportRow]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow([_cell(n, v) for n, v in zip(COLUMNS, astuple(r), strict=True)])
    return out.getvalue().encode()


def to_parquet(rows: list[ExportRow]) -> bytes:
    import pyarrow as pa  # not in the Lambda package: the monthly report writes CSV
    import pyarrow.parquet as pq

    schema = pa.schema([(n, pa.float64() if n.endswith(("usd", "tokens")) else pa.string()) for n in COLUMNS])
    table = pa.table({n: [getattr(r, n) for r in rows] for n in COLUMNS}, schema=schema)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return sink.getvalue().to_pybytes()


def encode(rows: list[ExportRow], fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise ConfigError(f"--format {fmt!r}: use csv or parquet")
    return to_csv(rows) if fmt == "csv" else to_parquet(rows)


def write(rows: list[ExportRow], fmt: str, path: Path) -> None:
    path.write_bytes(encode(rows, fmt))
