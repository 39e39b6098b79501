"""Drain detection (every shard checkpointed at its last record) and the until-idle rule."""

from __future__ import annotations

from consumers.aws import AwsTarget
from consumers.kcl.drain import AppDrain, IdleTracker, ShardDrain, app_drain, shard_drain
from consumers.kcl.leases import Lease, seed_leases
from consumers.kcl.shards import ShardInfo, list_shards
from tests.kcl.streams import create_stream, put_records, unique


def _set_checkpoint(ddb: object, table: str, shard: str, checkpoint: str) -> None:
    ddb.update_item(  # type: ignore[attr-defined]
        TableName=table,
        Key={"leaseKey": {"S": shard}},
        UpdateExpression="SET #c = :c",
        ExpressionAttributeNames={"#c": "checkpoint"},
        ExpressionAttributeValues={":c": {"S": checkpoint}},
    )


def test_drain_follows_the_checkpoints(aws: AwsTarget) -> None:
    kinesis, ddb = aws.client("kinesis"), aws.client("dynamodb")
    stream = create_stream(kinesis, shards=2)
    table = unique("drain-app")
    shard_ids = sorted(s.shard_id for s in list_shards(kinesis, stream))

    # No lease table yet: nothing is drained.
    assert app_drain(kinesis, ddb, stream, table).drained_count == 0

    # Leases at TRIM_HORIZON on an empty stream: drained.
    seed_leases(ddb, table, list_shards(kinesis, stream), "w")
    empty = app_drain(kinesis, ddb, stream, table)
    assert (empty.total, empty.drained_count, empty.behind) == (2, 2, 0)

    put = put_records(kinesis, stream, 12)
    behind = app_drain(kinesis, ddb, stream, table, limit=100)
    assert behind.drained_count == sum(1 for s in shard_ids if s not in put.count_by_shard)
    assert behind.behind == 12
    assert {s.shard_id: s.behind for s in behind.shards} == {s: put.count_by_shard.get(s, 0) for s in shard_ids}

    # Checkpoint one record short of the end on every shard with records: 1 behind each.
    for shard, last in put.last_by_shard.items():
        earlier = sorted(int(q) for (sh, q) in put.by_position if sh == shard)
        if len(earlier) > 1:
            _set_checkpoint(ddb, table, shard, str(earlier[-2]))
            assert next(s for s in app_drain(kinesis, ddb, stream, table).shards if s.shard_id == shard).behind == 1
        _set_checkpoint(ddb, table, shard, last)
    done = app_drain(kinesis, ddb, stream, table)
    assert done.all_drained and done.behind == 0
    assert {s.shard_id: s.checkpoint for s in done.shards} == {
        s: put.last_by_shard.get(s, "TRIM_HORIZON") for s in shard_ids
    }


def test_behind_count_is_capped_by_the_limit(aws: AwsTarget) -> None:
    kinesis, ddb = aws.client("kinesis"), aws.client("dynamodb")
    stream = create_stream(kinesis, shards=1)
    table = unique("drain-app")
    seed_leases(ddb, table, list_shards(kinesis, stream), "w")
    put_records(kinesis, stream, 8)
    status = app_drain(kinesis, ddb, stream, table, limit=5)
    assert status.behind == 5
    assert status.shards[0].behind_capped
    assert "5+ behind" in status.summary()


OPEN = ShardInfo("shardId-1", (), "0", "1", closed=False)
CLOSED = ShardInfo("shardId-0", (), "0", "1", closed=True)


def _lease(checkpoint: str) -> Lease:
    return Lease("shardId-0", "w", 1, checkpoint, 0)


def test_closed_shard_rules_need_no_kinesis_calls() -> None:
    # kinesis=None: any GetRecords attempt would fail the test.
    assert shard_drain(None, "s", CLOSED, _lease("SHARD_END"), False, 10).drained
    assert shard_drain(None, "s", CLOSED, None, has_leased_child=True, limit=10).drained
    assert not shard_drain(None, "s", CLOSED, None, has_leased_child=False, limit=10).drained
    assert not shard_drain(None, "s", OPEN, None, has_leased_child=True, limit=10).drained
    assert not shard_drain(None, "s", OPEN, _lease("LATEST"), False, 10).drained


def _status(*checkpoints: str | None, drained: bool = True) -> AppDrain:
    return AppDrain("app", tuple(ShardDrain(f"s{i}", c, drained=drained, behind=0) for i, c in enumerate(checkpoints)))


def test_idle_needs_the_full_quiet_period() -> None:
    tracker = IdleTracker(idle_ms=3000)
    assert not tracker.observe(_status("5", "7"), now_ms=10_000)
    assert not tracker.observe(_status("5", "7"), now_ms=12_999)
    assert tracker.observe(_status("5", "7"), now_ms=13_000)


def test_a_moving_checkpoint_restarts_the_idle_clock() -> None:
    tracker = IdleTracker(idle_ms=3000)
    tracker.observe(_status("5", "7"), now_ms=0)
    assert not tracker.observe(_status("5", "9"), now_ms=2000)
    assert not tracker.observe(_status("5", "9"), now_ms=4000)
    assert tracker.observe(_status("5", "9"), now_ms=5000)


def test_not_drained_resets_and_empty_stream_never_idles() -> None:
    tracker = IdleTracker(idle_ms=1000)
    tracker.observe(_status("5"), now_ms=0)
    assert not tracker.observe(_status("5", drained=False), now_ms=1500)
    assert not tracker.observe(_status("5"), now_ms=2000)
    assert tracker.observe(_status("5"), now_ms=3000)
    assert not IdleTracker(0).observe(AppDrain("app", ()), now_ms=0)
