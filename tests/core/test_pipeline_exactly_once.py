"""Exactly-once effect of the shard pipeline under crashes, partial flushes, redeliveries and lease moves.

Expected values come from plain Python over the generated points (tests/core/telemetry.py), never from ccstream.
"""

from __future__ import annotations

import math
import random

import pytest

from consumers.config import Tunables
from consumers.model import SourceRecord
from consumers.pipeline import ShardPipeline
from consumers.query.api import query_metric
from consumers.query.reader import MemoryRowReader
from consumers.sink.memory import MemoryStores
from tests.core.crash_driver import CrashingStores, Run, drive_with_crashes
from tests.core.telemetry import PRICE, Point, envelope_bytes, expected_totals, expected_users, random_events

START = 1_763_679_600_000  # 2025-11-20T23:00:00Z
SPAN = 3 * 3600 * 1000  # crosses midnight UTC
SIZES = {"1m": 60_000, "1h": 3_600_000, "1d": 86_400_000}


def build_shards(seed: int, n_records: int, shards: int = 2) -> tuple[dict[str, list[SourceRecord]], list[Point]]:
    rng = random.Random(seed)
    by_shard: dict[str, list[SourceRecord]] = {f"shardId-{i:012d}": [] for i in range(shards)}
    points: list[Point] = []
    event_id = 0
    for r in range(n_records):
        events = random_events(rng, rng.randrange(1, 6), START, SPAN)
        events.sort(key=lambda e: e[0])
        batch = []
        for ts, line, pts in events:
            batch.append((event_id, ts, line))
            event_id += 1
            points.extend(pts)
        shard = rng.choice(list(by_shard))
        seq = 10**55 + r  # ~56 digits, like real Kinesis
        by_shard[shard].append(SourceRecord(shard, seq, 0, f"pk{r}", envelope_bytes(f"s{r % 3}", batch), START + SPAN))
    return by_shard, points


#: Flush intervals that fit the driver's clock (1–9 ms per batch): every kind and size of row is written every few
#: batches, so checkpoints move through the stream and crashes restart from the middle of it.
DRIVER_TUNABLES = Tunables(flush_interval_ms=3, user_flush_interval_ms=6, size_flush_interval_ms={"1h": 6, "1d": 10})


def consume(by_shard, stores, rng, crash_rate=0.0, tunables=None, retune=None) -> Run:  # type: ignore[no-untyped-def]
    """Drive each shard like the KCL would: batches, flushes, checkpoints; crash and restart at random.
    `retune(rng)`, when given, picks the settings of every restarted pipeline (an operator changing them)."""
    tunables = tunables or DRIVER_TUNABLES

    def new_pipeline(shard, clock_ms, checkpoint, crashes):  # type: ignore[no-untyped-def]
        settings = retune(rng) if retune and crashes else tunables  # after the first crash
        p = ShardPipeline("app", shard, stores.stores(), settings, clock_ms=clock_ms)
        p.restore(checkpoint)
        return p

    return drive_with_crashes(by_shard, stores, rng, crash_rate, new_pipeline)


def assert_matches(stores: MemoryStores, points: list[Point]) -> None:
    reader = MemoryRowReader(stores)
    lo, hi = START - 86_400_000, START + SPAN + 86_400_000
    for size, ms in SIZES.items():
        for by in [(), ("department",), ("model", "type"), ("decision", "language")]:
            exp = expected_totals(points, ms, by)
            got = {}
            for metric in {k[1] for k in exp}:
                for row in query_metric(reader, metric, size, by, lo, hi):
                    got[(row.window_start_ms, metric, *(row.labels[a] for a in by))] = row.value
            assert got.keys() == exp.keys(), (size, by)
            for k, v in exp.items():
                assert math.isclose(got[k], v, rel_tol=1e-9), (size, by, k, got[k], v)
        users = {r.window_start_ms: r.value for r in query_metric(reader, "active_users", size, (), lo, hi)}
        assert users == {k: float(len(v)) for k, v in expected_users(points, ms).items()}
    # priced cost is token usage × list price of (model, type), for models in the price table
    exp_cost: dict[int, float] = {}
    for p in points:
        if p.metric == "claude_code.token.usage" and p.attrs["model"] in PRICE:
            d = p.ts - p.ts % SIZES["1d"]
            exp_cost[d] = exp_cost.get(d, 0.0) + p.value * PRICE[p.attrs["model"]][p.attrs["type"]] / 1e6
    got_cost = {r.window_start_ms: r.value for r in query_metric(reader, "ccstream.token_cost.usd", "1d", (), lo, hi)}
    assert got_cost.keys() == exp_cost.keys()
    for k in exp_cost:
        assert math.isclose(got_cost[k], exp_cost[k], rel_tol=1e-9)


def test_clean_run_matches_independent_sums() -> None:
    by_shard, points = build_shards(1, 120)
    stores = CrashingStores()
    consume(by_shard, stores, random.Random(1))
    assert_matches(stores, points)


@pytest.mark.parametrize("seed", range(6))
def test_crashes_anywhere_never_drop_or_double_count(seed: int) -> None:
    by_shard, points = build_shards(100 + seed, 80)
    stores = CrashingStores()
    run = consume(by_shard, stores, random.Random(seed), crash_rate=0.4)
    assert run.crashes > 0
    assert run.mid_stream_restarts > 0  # the replay really started from the middle of the stream
    assert_matches(stores, points)


def random_buckets(rng: random.Random) -> Tunables:
    """Bucket counts an operator might switch to at a restart (1 = a single row per window)."""
    return Tunables(
        flush_interval_ms=DRIVER_TUNABLES.flush_interval_ms,
        user_flush_interval_ms=DRIVER_TUNABLES.user_flush_interval_ms,
        size_flush_interval_ms=DRIVER_TUNABLES.size_flush_interval_ms,
        user_buckets=rng.choice([1, 2, 3, 5, 16]),
        window_buckets={size: rng.choice([1, 2, 3, 4]) for size in SIZES},
    )


@pytest.mark.parametrize("seed", range(4))
def test_bucket_counts_can_change_at_any_restart(seed: int) -> None:
    """Windows open at a restart keep the bucket count their rows were written with (stored with each row), so the
    replay routes every record to the row that already holds it; new windows take the new count."""
    by_shard, points = build_shards(200 + seed, 80)
    stores = CrashingStores()
    run = consume(by_shard, stores, random.Random(seed), crash_rate=0.5, retune=random_buckets)
    assert run.crashes > 1 and run.mid_stream_restarts > 0
    assert_matches(stores, points)
    counts = {(k.kind, k.size, k.start_ms): row.buckets for (_, k), row in stores.rows.items()}
    assert len(set(counts.values())) > 1  # several counts really were in use


def test_cloudwatch_redelivery_counts_once() -> None:
    by_shard, points = build_shards(7, 60)
    # CloudWatch redelivers every record's bytes again, as new Kinesis records on the *other* shard.
    shards = list(by_shard)
    redelivered = {s: list(rs) for s, rs in by_shard.items()}
    for i, s in enumerate(shards):
        other = shards[(i + 1) % len(shards)]
        for k, r in enumerate(by_shard[s]):
            redelivered[other].append(SourceRecord(other, 2 * 10**55 + k, 0, r.partition_key, r.data, r.arrival_ms))
    stores = CrashingStores()
    run = consume(redelivered, stores, random.Random(7), crash_rate=0.3)
    assert run.mid_stream_restarts > 0
    assert_matches(stores, points)
    dup = sum(s.counters.get("duplicate_records", 0) for v in stores.snapshots.values() for s in v[-1:])
    assert dup == sum(len(v) for v in by_shard.values())


def test_lease_moves_to_a_second_worker_mid_stream() -> None:
    """Worker A flushes part of a shard and dies without checkpointing; worker B replays from A's checkpoint."""
    by_shard, points = build_shards(9, 60, shards=1)
    ((shard, records),) = by_shard.items()
    stores = CrashingStores()
    tun = Tunables(flush_interval_ms=0, user_flush_interval_ms=0, size_flush_interval_ms={})
    a = ShardPipeline("app", shard, stores.stores(), tun, clock_ms=lambda: 0)
    a.process(records[:20])
    snap = a.flush()
    a.remember_checkpoint(snap)
    a.process(records[20:40])
    a.flush()  # rows written up to record 40, checkpoint still at 20
    b = ShardPipeline("app", shard, stores.stores(), tun, clock_ms=lambda: 0)
    b.restore(snap.position)
    b.process(records[20:])
    b.remember_checkpoint(b.flush(force=True))
    assert_matches(stores, points)


def test_redelivery_inside_the_same_batch_counts_once_and_survives_a_replay() -> None:
    """Both copies in one KCL batch (the e2e case: everything was put before the consumer started)."""
    by_shard, points = build_shards(12, 30, shards=1)
    ((shard, records),) = by_shard.items()
    twice = records + [
        SourceRecord(shard, r.sequence_number + 10**54, 0, r.partition_key, r.data, r.arrival_ms) for r in records
    ]
    stores = CrashingStores()
    p = ShardPipeline("app", shard, stores.stores(), Tunables(), clock_ms=lambda: 0)
    p.process(twice)
    p.flush(force=True)  # rows written, but no checkpoint: a crash now replays the whole batch
    q = ShardPipeline("app", shard, stores.stores(), Tunables(), clock_ms=lambda: 0)
    q.process(twice)
    q.remember_checkpoint(q.flush(force=True))  # type: ignore[arg-type]
    assert_matches(stores, points)
    assert q.counters.values["duplicate_records"] == len(records)
