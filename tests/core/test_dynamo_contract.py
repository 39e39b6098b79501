"""The same exactly-once scenarios against the DynamoDB stores on the embedded emulator (over HTTP)."""

from __future__ import annotations

import random
import uuid

import pytest

from consumers.aws import AwsTarget
from consumers.query.reader import DynamoRowReader
from consumers.sink.base import RowKey, Stores
from consumers.sink.dynamodb import DynamoStores
from consumers.sink.memory import MemoryStores
from tests.core import test_pipeline_exactly_once as scenario
from tests.core.crash_driver import FailsMidFlush
from tests.core.tables import create_metrics_table

pytestmark = pytest.mark.emulator


class CrashingDynamo(FailsMidFlush, DynamoStores):
    def __init__(self, client, table):  # type: ignore[no-untyped-def]
        super().__init__(client, table)
        self.letters = MemoryStores()

    def stores(self) -> Stores:
        return Stores(rows=self, dedup=self, state=self, dead_letters=self.letters)


def _reader_check(monkeypatch, reader, points):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(scenario, "MemoryRowReader", lambda _stores: reader)
    scenario.assert_matches(None, points)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [0, 1])
def test_crashes_on_dynamodb(aws: AwsTarget, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    client = aws.client("dynamodb")
    table = f"t-{uuid.uuid4().hex[:8]}"
    create_metrics_table(client, table)
    by_shard, points = scenario.build_shards(300 + seed, 30)
    stores = CrashingDynamo(client, table)
    run = scenario.consume(by_shard, stores, random.Random(seed), crash_rate=0.4)
    assert run.crashes > 0 and run.mid_stream_restarts > 0
    _reader_check(monkeypatch, DynamoRowReader(client, table), points)


def test_redelivery_on_dynamodb(aws: AwsTarget, monkeypatch: pytest.MonkeyPatch) -> None:
    client = aws.client("dynamodb")
    table = f"t-{uuid.uuid4().hex[:8]}"
    create_metrics_table(client, table)
    by_shard, points = scenario.build_shards(42, 25)
    twice = {s: list(rs) for s, rs in by_shard.items()}
    for s, rs in by_shard.items():
        twice[s] += [type(r)(s, r.sequence_number + 10**54, 0, r.partition_key, r.data, r.arrival_ms) for r in rs]
    stores = CrashingDynamo(client, table)
    scenario.consume(twice, stores, random.Random(3))
    _reader_check(monkeypatch, DynamoRowReader(client, table), points)


def test_a_new_owner_reads_rows_and_snapshots_strongly_consistently(aws: AwsTarget) -> None:
    """moto is always consistent, so what is checked is the request: an eventually consistent read on AWS could
    return a row's previous version (older fence) or miss the last snapshot, and the records between that fence
    and the checkpoint are never replayed."""
    client = aws.client("dynamodb")
    table = f"t-{uuid.uuid4().hex[:8]}"
    create_metrics_table(client, table)
    sent: list[tuple[str, dict]] = []
    client.meta.events.register(
        "provide-client-params.dynamodb.*", lambda params, model, **_: sent.append((model.name, params))
    )
    stores = DynamoStores(client, table)
    stores.load_rows("shardId-000000000000", [RowKey("W", "1m", 1_763_679_600_000, 0)])
    stores.load_snapshots("app", "shardId-000000000000")
    by_operation = {name: params for name, params in sent}
    assert by_operation["BatchGetItem"]["RequestItems"][table]["ConsistentRead"] is True
    assert by_operation["Query"]["ConsistentRead"] is True


def test_bucket_counts_can_change_at_restarts_on_dynamodb(aws: AwsTarget, monkeypatch: pytest.MonkeyPatch) -> None:
    """The count a window's rows were written with is stored with them (`nb`) and read back by the next owner."""
    client = aws.client("dynamodb")
    table = f"t-{uuid.uuid4().hex[:8]}"
    create_metrics_table(client, table)
    by_shard, points = scenario.build_shards(400, 30)
    stores = CrashingDynamo(client, table)
    run = scenario.consume(by_shard, stores, random.Random(3), crash_rate=0.5, retune=scenario.random_buckets)
    assert run.crashes > 1 and run.mid_stream_restarts > 0
    _reader_check(monkeypatch, DynamoRowReader(client, table), points)
    stored = client.scan(TableName=table, ProjectionExpression="sk, nb")["Items"]
    rows = [i for i in stored if i["sk"]["S"].count("#") >= 3]  # window and user rows (not markers, snapshots)
    assert rows and all("nb" in i for i in rows)
    assert len({i["nb"]["N"] for i in rows}) > 1
