"""The DynamoDB single-table key design of `ClaudeCodeMetrics` (attribute names and index names).

The item kinds that live in the table, and how their keys are built, are documented in `schemas/ITEMS.md`
and implemented in `consumers/sink/rows.py`.
"""

from __future__ import annotations

TABLE_NAME = "ClaudeCodeMetrics"

PK = "pk"  # METRICS#YYYY-MM-DD (window start date, UTC) | DEDUP#<fingerprint> | SHARD#<app>#<shard>
SK = "sk"  # HH:MM:SS#TYPE#DETAIL
TTL = "ttl"  # epoch seconds; DynamoDB deletes within ~2 days after

#: GSI name → (partition key attribute, sort key attribute)
GSIS: dict[str, tuple[str, str]] = {
    "UserActivityIndex": ("gsi1pk", "gsi1sk"),  # USER#<id> | TYPE#WINDOW  /  time-sorted
    "MetricTypeIndex": ("gsi2pk", "gsi2sk"),  # TYPE#<kind>  /  ISO window start
    "MonthlyIndex": ("gsi3pk", "gsi3sk"),  # MONTH#YYYY-MM  /  DD#HH:MM:SS#TYPE
}

KEY_ATTRIBUTES: tuple[str, ...] = (PK, SK, *(a for pair in GSIS.values() for a in pair))
