"""User days (UserActivityIndex) equal the independent per-user daily sums, with user.id when email is missing."""

from __future__ import annotations

import math
import uuid

import pytest

from consumers.aws import AwsTarget
from consumers.config import Tunables
from consumers.pipeline import ShardPipeline
from consumers.query.reader import DynamoRowReader
from consumers.rollup import rollup_user_days, user_history
from consumers.sink.base import Stores
from consumers.sink.dynamodb import DynamoStores
from consumers.sink.memory import MemoryStores
from tests.core.tables import create_metrics_table
from tests.core.test_pipeline_exactly_once import SPAN, START, build_shards

pytestmark = pytest.mark.emulator
DAY = 86_400_000


def test_rollup_matches_per_user_daily_sums(aws: AwsTarget) -> None:
    client = aws.client("dynamodb")
    table = f"t-{uuid.uuid4().hex[:8]}"
    create_metrics_table(client, table)
    by_shard, points = build_shards(11, 30)
    ddb = DynamoStores(client, table)
    for shard, records in by_shard.items():
        p = ShardPipeline("app", shard, Stores(ddb, ddb, ddb, MemoryStores()), Tunables(), clock_ms=lambda: 0)
        p.process(records)
        p.flush(force=True)
    result = rollup_user_days(DynamoRowReader(client, table), client, table, START - DAY, START + SPAN + DAY)
    assert rollup_user_days(DynamoRowReader(client, table), client, table, START - DAY, START + SPAN).days >= 1

    expected: dict[tuple[str, int], float] = {}
    for p in points:
        if p.metric == "claude_code.commit.count":
            user = p.attrs.get("user.email") or p.attrs["user.id"]
            key = (user, p.ts - p.ts % DAY)
            expected[key] = expected.get(key, 0.0) + p.value
    users = {u for u, _ in expected}
    assert any(u.startswith("uid-") for u in users)  # someone without user.email
    got = {}
    for user in users:
        for day, sums in user_history(client, table, user, START - DAY, START + SPAN + DAY):
            if "claude_code.commit.count" in sums:
                got[(user, day)] = sums["claude_code.commit.count"]
    assert got.keys() == expected.keys()
    assert all(math.isclose(got[k], v, rel_tol=1e-9) for k, v in expected.items())
    assert result.user_days >= len(users)


def test_rollup_writes_only_new_or_changed_user_days(aws: AwsTarget) -> None:
    """A second rollup over the same partials writes nothing; after more data, exactly the user-days that got
    new points are written again (counted here from the input, not from the rollup)."""
    client = aws.client("dynamodb")
    table = f"t-{uuid.uuid4().hex[:8]}"
    create_metrics_table(client, table)
    by_shard, points = build_shards(12, 40, shards=1)
    ((shard, records),) = by_shard.items()
    ddb = DynamoStores(client, table)
    p = ShardPipeline("app", shard, Stores(ddb, ddb, ddb, MemoryStores()), Tunables(), clock_ms=lambda: 0)
    reader = DynamoRowReader(client, table)

    def rollup() -> int:
        p.flush(force=True)
        result = rollup_user_days(reader, client, table, START - DAY, START + SPAN + DAY)
        return result.written

    def user_days(pts: list) -> set[tuple[str, int]]:  # type: ignore[type-arg]
        return {(q.attrs.get("user.email") or q.attrs["user.id"], q.ts - q.ts % DAY) for q in pts}

    # The same seed gives the same first 20 records: their points are the first part of the 40 records' points.
    (first_half,), first_points = build_shards(12, 20, shards=1)[0].values(), build_shards(12, 20, shards=1)[1]
    assert first_half == records[:20]
    p.process(first_half)
    first = rollup()
    assert first == len(user_days(first_points))
    assert rollup() == 0  # nothing changed
    p.process(records[20:])
    assert rollup() == len(user_days(points[len(first_points) :]))
