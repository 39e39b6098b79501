"""Where partial rows are read from: DynamoDB (MetricTypeIndex, time-sorted across days) or memory (tests)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from consumers.sink.base import RowKey
from consumers.sink.dynamodb import from_ddb, with_backoff
from consumers.sink.rows import decode_doc, row_key_from_item, row_type
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
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": "MetricTypeIndex",
            "KeyConditionExpression": "gsi2pk = :t AND gsi2sk BETWEEN :a AND :b",
            "ExpressionAttributeValues": {
                ":t": {"S": f"TYPE#{row_type(kind, size)}"},
                ":a": {"S": iso(from_ms)},
                ":b": {"S": iso(to_ms - 1) + "~"},
            },
        }
        while True:
            resp = with_backoff(lambda kw=kwargs: self.client.query(**kw), "Query(MetricTypeIndex)")
            for raw in resp.get("Items", []):
                item = from_ddb(raw)
                shard, key = row_key_from_item(item)
                if from_ms <= key.start_ms < to_ms:
                    yield shard, key, decode_doc(item["data"])
            if "LastEvaluatedKey" not in resp:
                return
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]


class MemoryRowReader:
    """Reads the rows of `consumers.sink.memory.MemoryStores`."""

    def __init__(self, stores: Any) -> None:
        self.stores = stores

    def rows(self, kind: str, size: str, from_ms: int, to_ms: int) -> Iterator[RowRecord]:
        for (shard, key), row in sorted(self.stores.rows.items(), key=lambda kv: (kv[0][1].start_ms, kv[0][0])):
            if key.kind == kind and key.size == size and from_ms <= key.start_ms < to_ms:
                yield shard, key, row.doc
