"""A `ClaudeCodeMetrics` table on the emulator holding the replayed midnight fixture, shared by the dashboard tests.

The fixture's Kinesis records go through the real `ShardPipeline` (two shards, as captured); the rows it produces
are written with the same item layout `DynamoStores` uses (`row_item`), in BatchWriteItem calls, which is much
faster on moto than the consumer's per-row conditional puts.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import pytest

from consumers.aws import AwsTarget
from consumers.config import Names, Tunables
from consumers.emulator import EmbeddedEmulator
from consumers.model import SourceRecord
from consumers.pipeline import ShardPipeline
from consumers.sink.memory import MemoryStores
from tests.core.tables import create_metrics_table, put_rows
from tests.dashboard.expected import Point, read_fixture


@dataclass(frozen=True)
class LoadedFixture:
    target: AwsTarget
    names: Names
    points: list[Point]


def _shard(partition_key: str) -> str:
    index = int.from_bytes(hashlib.md5(partition_key.encode()).digest(), "big") * 2 >> 128
    return f"shardId-{index:012d}"


def load_midnight(target: AwsTarget, table: str) -> list[Point]:
    records, points = read_fixture()
    stores = MemoryStores()
    by_shard: dict[str, list[SourceRecord]] = {}
    for r in records:
        shard = _shard(r.partition_key)
        arrival = int(datetime.fromisoformat(r.arrival_iso).timestamp() * 1000)
        by_shard.setdefault(shard, []).append(
            SourceRecord(shard, r.sequence_number, 0, r.partition_key, r.data, arrival)
        )
    for shard, recs in by_shard.items():
        pipe = ShardPipeline("dash", shard, stores.stores(), Tunables(), clock_ms=lambda: 0)
        pipe.process(recs)
        pipe.flush(force=True)
    client = target.client("dynamodb")
    create_metrics_table(client, table)
    put_rows(client, table, stores)
    return points


@pytest.fixture(scope="session")
def midnight(emulator: EmbeddedEmulator) -> Iterator[LoadedFixture]:
    target = AwsTarget(endpoint_url=emulator.url, region="us-east-1")
    names = Names(prefix="dash", table=f"dash-{uuid.uuid4().hex[:8]}")
    points = load_midnight(target, names.table)
    yield LoadedFixture(target, names, points)
