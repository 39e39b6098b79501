"""Create a `ClaudeCodeMetrics`-shaped table directly through the API (for tests that need no full deploy), and
fill it with the rows a pipeline wrote into `MemoryStores`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from consumers.model import RowKey
from consumers.sink.dynamodb import to_ddb
from consumers.sink.memory import MemoryStores
from consumers.sink.rows import row_item
from schemas.keys import GSIS

#: The TTL the copied rows carry (epoch s, year 2096: they never expire in a test).
FAR_TTL_S = 4_000_000_000


def create_metrics_table(ddb: Any, name: str) -> None:
    attrs = {"pk", "sk"} | {a for pair in GSIS.values() for a in pair}
    ddb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in sorted(attrs)],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": index,
                "KeySchema": [{"AttributeName": p, "KeyType": "HASH"}, {"AttributeName": s, "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index, (p, s) in GSIS.items()
        ],
    )


def put_rows(ddb: Any, table: str, stores: MemoryStores, keep: Callable[[RowKey], bool] = lambda _key: True) -> int:
    """BatchWriteItem the rows of `stores` (those `keep` accepts) as the DynamoDB sink stores them; how many."""
    items = [
        to_ddb(row_item(shard, key, row.fence, row.doc, FAR_TTL_S))
        for (shard, key), row in stores.rows.items()
        if keep(key)
    ]
    for i in range(0, len(items), 25):
        request: dict[str, Any] = {table: [{"PutRequest": {"Item": it}} for it in items[i : i + 25]]}
        while request:
            request = ddb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
    return len(items)
