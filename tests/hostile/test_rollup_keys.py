"""User-day keys never exceed DynamoDB's limits, and one refused user-day never stops the others (emulator)."""

from __future__ import annotations

import uuid

import pytest

from consumers.aws import AwsTarget
from consumers.rollup import _write_batch, user_day_item, user_history
from tests.core.tables import create_metrics_table

pytestmark = pytest.mark.emulator
DAY0 = 1_795_219_200_000  # 2026-11-21


def test_long_identity_is_hashed_in_keys_and_kept_raw(aws: AwsTarget) -> None:
    client = aws.client("dynamodb")
    table = f"t-{uuid.uuid4().hex[:8]}"
    create_metrics_table(client, table)
    long_user = "x" * 1100 + "@example.com"  # the review's 1.1 KB e-mail: over the 1,024-byte sort key limit
    items = [
        user_day_item(DAY0, long_user, {"claude_code.commit.count": 2.0}, 1),
        user_day_item(DAY0, "jane@example.com", {"claude_code.commit.count": 3.0}, 1),
    ]
    assert len(items[0]["sk"].encode()) < 100 and items[0]["user"] == long_user
    bad = dict(items[1], pk="", sk="00:00:00#USER#broken")  # DynamoDB refuses an empty key value
    assert _write_batch(client, table, [items[0], bad, items[1]]) == 1
    assert [s for _, s in user_history(client, table, long_user, DAY0, DAY0 + 1)] == [{"claude_code.commit.count": 2.0}]
    assert [s for _, s in user_history(client, table, "jane@example.com", DAY0, DAY0 + 1)] == [
        {"claude_code.commit.count": 3.0}
    ]


def test_a_sum_dynamodb_cannot_hold_is_stored_as_zero(aws: AwsTarget) -> None:
    """A client sending 1e-200 (a valid, non-negative value) made DynamoDB refuse that user-day on every run."""
    client = aws.client("dynamodb")
    table = f"t-{uuid.uuid4().hex[:8]}"
    create_metrics_table(client, table)
    item = user_day_item(
        DAY0, "tiny@example.com", {"claude_code.cost.usage": 1e-200, "claude_code.commit.count": 2.0}, 1
    )
    assert _write_batch(client, table, [item]) == 0
    ((_, sums),) = user_history(client, table, "tiny@example.com", DAY0, DAY0 + 1)
    assert sums == {"claude_code.cost.usage": 0.0, "claude_code.commit.count": 2.0}
