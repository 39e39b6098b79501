"""Create a `ClaudeCodeMetrics`-shaped table directly through the API (for tests that need no full deploy)."""

from __future__ import annotations

from typing import Any

from schemas.keys import GSIS


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
