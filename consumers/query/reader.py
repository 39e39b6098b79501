"""Where partial rows are read from: DynamoDB (MetricTypeIndex, time-sorted across days) or memory (tests).

Every size, 1d included, is read through the MetricTypeIndex: its partition holds one row type, so a query returns
only rows of the kind asked for. (The MonthlyIndex holds every type of a month's daily rows under one key, so a
query for W rows there read, and filtered out, four times as many user rows: 5× the items for a 30-day range.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from consumers.ddb import from_ddb, query_items, to_ddb, with_backoff
from consumers.items import decode_doc, row_data, row_key_from_item, row_type
from consumers.model import RowKey
from consumers.windows.definitions import iso

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

    def _paged(self, kwargs: dict[str, Any], from_ms: int, to_ms: int) -> Iterator[RowRecord]:
        for item in query_items(self.client, f"Query({kwargs['IndexName']})", **kwargs):
            shard, key = row_key_from_item(item)
            if from_ms <= key.start_ms < to_ms:
                yield shard, key, decode_doc(row_data(item, self._get_part))

    def _get_part(self, key: dict[str, str]) -> dict[str, Any] | None:
        resp = with_backoff(lambda: self.client.get_item(TableName=self.table, Key=to_ddb(key)), "GetItem(row part)")
        return from_ddb(resp["Item"]) if "Item" in resp else None


class MemoryRowReader:
    """Reads the rows of `consumers.sink.memory.MemoryStores`."""

    def __init__(self, stores: Any) -> None:
        self.stores = stores

    def rows(self, kind: str, size: str, from_ms: int, to_ms: int) -> Iterator[RowRecord]:
        for (shard, key), row in sorted(self.stores.rows.items(), key=lambda kv: (kv[0][1].start_ms, kv[0][0])):
            if key.kind == kind and key.size == size and from_ms <= key.start_ms < to_ms:
                yield shard, key, row.doc
