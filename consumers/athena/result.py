"""What a query returns, whichever engine ran it."""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass, field
from typing import Any

from consumers.errors import CcstreamError


class QueryError(CcstreamError):
    """A query failed (bad SQL, missing table, engine error); the message says what to check."""


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    engine: str
    details: dict[str, Any] = field(default_factory=dict)  # e.g. Athena query id, bytes scanned

    def records(self) -> list[dict[str, Any]]:
        """Rows as dicts keyed by column name."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def to_json(self, name: str | None = None) -> dict[str, Any]:
        return {
            "query": name,
            "engine": self.engine,
            "columns": self.columns,
            "rows": [[plain(v) for v in row] for row in self.rows],
            **({"details": self.details} if self.details else {}),
        }


def plain(value: Any) -> Any:
    """A JSON-friendly version of a result value (dates as ISO text, decimals as floats)."""
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value
