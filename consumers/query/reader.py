"""Where partial rows are read from: DynamoDB (MetricTypeIndex, time-sorted across days) or memory (tests)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from consumers.ddb import from_ddb, query_items, to_ddb, with_backoff
from consumers.items import decode_doc, row_data, row_key_from_item, row_type
from consumers.model import RowKey
from consumers.windows.definitions import MAX_MS, iso

#: (shard, key, document)
RowRecord = tuple[str, RowKey, dict[str, Any]]


class RowReader(Protocol):
    def rows(self, kind: str, size: str, from_ms: int, to_ms: int) -> Iterator[RowRecord]:
        """Every shard's rows of this kind and size whose window starts in [from_ms, to_ms)."""
        ...


class DynamoRowReader:
    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    def rows(self, kind: str, size: str, from_ms: int, to_ms: int) -> Iterator[RowRecord]:
        if size == "1d":
            yield from self._daily_rows(kind, from_ms, to_ms)
            return
        yield from self._paged(
            {
                "TableName": self.table,
                "IndexName": "MetricTypeIndex",
                "KeyConditionExpression": "gsi2pk = :t AND gsi2sk BETWEEN :a AND :b",
                "ExpressionAttributeValues": {
                    ":t": {"S": f"TYPE#{row_type(kind, size)}"},
                    ":a": {"S": iso(from_ms)},
                    ":b": {"S": iso(to_ms - 1) + "~"},
                },
            },
            from_ms,
            to_ms,
        )

    def _daily_rows(self, kind: str, from_ms: int, to_ms: int) -> Iterator[RowRecord]:
        """Daily rows through the MonthlyIndex: one query per calendar month of the range (monthly views)."""
        for month, first_day, last_day in _months(from_ms, to_ms):
            yield from self._paged(
                {
                    "TableName": self.table,
                    "IndexName": "MonthlyIndex",
                    "KeyConditionExpression": "gsi3pk = :m AND gsi3sk BETWEEN :a AND :b",
                    "FilterExpression": "kind = :k",
                    "ExpressionAttributeValues": {
                        ":m": {"S": f"MONTH#{month}"},
                        ":a": {"S": f"{first_day:02d}#"},
                        ":b": {"S": f"{last_day:02d}#~"},
                        ":k": {"S": kind},
                    },
                },
                from_ms,
                to_ms,
            )

    def _paged(self, kwargs: dict[str, Any], from_ms: int, to_ms: int) -> Iterator[RowRecord]:
        for item in query_items(self.client, f"Query({kwargs['IndexName']})", **kwargs):
            shard, key = row_key_from_item(item)
            if from_ms <= key.start_ms < to_ms:
                yield shard, key, decode_doc(row_data(item, self._get_part))

    def _get_part(self, key: dict[str, str]) -> dict[str, Any] | None:
        resp = with_backoff(lambda: self.client.get_item(TableName=self.table, Key=to_ddb(key)), "GetItem(row part)")
        return from_ddb(resp["Item"]) if "Item" in resp else None


def _months(from_ms: int, to_ms: int) -> Iterator[tuple[str, int, int]]:
    """(YYYY-MM, first day, last day) of each calendar month overlapping [from_ms, to_ms)."""
    start = datetime.fromtimestamp(max(from_ms, 0) / 1000, UTC).date()
    end = datetime.fromtimestamp(max(min(to_ms, MAX_MS) - 1, 0) / 1000, UTC).date()
    cur = start.replace(day=1)
    while cur <= end:
        nxt = (cur.replace(day=28) + timedelta(days=4)).replace(day=1)
        first = start.day if cur.year == start.year and cur.month == start.month else 1
        last = end.day if cur.year == end.year and cur.month == end.month else (nxt - timedelta(days=1)).day
        yield cur.strftime("%Y-%m"), first, last
        cur = nxt


class MemoryRowReader:
    """Reads the rows of `consumers.sink.memory.MemoryStores`."""

    def __init__(self, stores: Any) -> None:
        self.stores = stores

    def rows(self, kind: str, size: str, from_ms: int, to_ms: int) -> Iterator[RowRecord]:
        for (shard, key), row in sorted(self.stores.rows.items(), key=lambda kv: (kv[0][1].start_ms, kv[0][0])):
            if key.kind == kind and key.size == size and from_ms <= key.start_ms < to_ms:
                yield shard, key, row.doc
