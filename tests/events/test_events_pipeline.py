"""The events pipeline is exact under crashes, replays, CloudWatch redeliveries and batch splits, and stores no
content. Expected values come from tests/events/oracle.py (plain Python over the generated events)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import msgspec
import pytest

from consumers.config import Tunables
from consumers.events_pipeline import EventsPipeline
from consumers.model import Position, SourceRecord
from consumers.query.events import query_events
from consumers.query.reader import MemoryRowReader
from consumers.sink.memory import MemoryStores
from tests.core.crash_driver import CrashingStores, drive_with_crashes
from tests.events import oracle
from tests.events.generator import SECRET, SPAN, START, random_records
from tests.events.oracle import QUERIES

TUNABLES = Tunables(flush_interval_ms=3, user_flush_interval_ms=6, size_flush_interval_ms={"1h": 6, "1d": 10})


def source_records(by_shard: dict[str, list[Any]]) -> dict[str, list[SourceRecord]]:
    return {
        shard: [SourceRecord(shard, seq, 0, f"pk{seq}", data, arrival) for seq, data, arrival in recs]
        for shard, recs in by_shard.items()
    }


def consume(
    by_shard: dict[str, list[SourceRecord]],
    stores: CrashingStores,
    rng: random.Random,
    crash_rate: float,
    tunables: Tunables = TUNABLES,
) -> int:
    def fresh(shard: str, clock_ms: Callable[[], int], checkpoint: Position | None, _crashes: int) -> EventsPipeline:
        p = EventsPipeline("events", shard, stores.stores(), tunables, clock_ms=clock_ms)
        p.restore(checkpoint)
        return p

    return drive_with_crashes(by_shard, stores, rng, crash_rate, fresh).crashes


def assert_matches(stores: MemoryStores, events: list[dict[str, Any]]) -> None:
    reader = MemoryRowReader(stores)
    lo, hi = START - 86_400_000, START + SPAN + 86_400_000
    for size, ms in oracle.WINDOWS_MS.items():
        for name, field, stat, by in QUERIES:
            metric = f"events.{name}" + (f".{field}" if field else "")
            exp = oracle.expected(events, ms, name, field, stat, by)
            got = {
                (r.window_start_ms, *(r.labels[a] for a in by)): r.value
                for r in query_events(reader, metric, size, by, lo, hi, stat)
            }
            assert got.keys() == exp.keys(), (size, metric, stat, by)
            tol = 0.01 if stat.startswith("p") else 1e-12
            bad = {k: (got[k], v) for k, v in exp.items() if not math.isclose(got[k], v, rel_tol=tol)}
            assert not bad, (size, metric, stat, by, list(bad.items())[:3])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_exact_under_crashes_and_replays(seed: int) -> None:
    by_shard, events = random_records(seed, 60)
    stores = CrashingStores()
    crashes = consume(source_records(by_shard), stores, random.Random(seed), crash_rate=0.4)
    assert crashes > 0
    assert_matches(stores, events)


def test_cloudwatch_redelivery_on_another_shard_counts_once() -> None:
    by_shard, events = random_records(7, 30)
    records = source_records(by_shard)
    (_, recs_a), (b, recs_b) = records.items()
    # CloudWatch re-sends the first three batches of shard a in new records on shard b.
    again = [SourceRecord(b, 10**56 + i, 0, "x", r.data, r.arrival_ms) for i, r in enumerate(recs_a[:3])]
    records[b] = [*recs_b, *again]
    stores = CrashingStores()
    consume(records, stores, random.Random(7), crash_rate=0.0)
    assert_matches(stores, events)


@pytest.mark.parametrize("cap", [20_000, 3])
def test_batch_splits_give_identical_rows(cap: int) -> None:
    """Also when the group limit folds groups into `__other__`: which groups it keeps depends on shard order only."""
    by_shard, _ = random_records(11, 40, shards=1)
    records = source_records(by_shard)
    docs = []
    tunables = Tunables(
        flush_interval_ms=3,
        user_flush_interval_ms=6,
        size_flush_interval_ms={"1h": 6, "1d": 10},
        max_groups_per_window=cap,
    )
    for seed in (1, 2):
        stores = CrashingStores()
        consume(records, stores, random.Random(seed), crash_rate=0.3 if seed == 2 else 0.0, tunables=tunables)
        docs.append({k: msgspec.msgpack.encode(v.doc) for k, v in stores.rows.items()})
    assert docs[0] == docs[1]
    assert (b"__other__" in b"".join(docs[0].values())) is (cap == 3)


def test_content_is_never_stored_and_lengths_only_with_the_switch() -> None:
    by_shard, events = random_records(5, 20, shards=1)
    ((shard, recs),) = source_records(by_shard).items()
    for keep in (False, True):
        stores = MemoryStores()
        pipe = EventsPipeline("events", shard, stores.stores(), TUNABLES, keep_lengths=keep)
        pipe.process(recs)
        pipe.flush(force=True)
        stored = repr([r.doc for r in stores.rows.values()]) + repr(list(stores.letters.values()))
        assert SECRET not in stored
    assert any(e["name"] == "user_prompt" for e in events)


def test_group_limit_folds_into_other_and_keeps_totals() -> None:
    by_shard, events = random_records(9, 40, shards=1)
    ((shard, recs),) = source_records(by_shard).items()
    stores = MemoryStores()
    pipe = EventsPipeline("events", shard, stores.stores(), Tunables(max_groups_per_window=1), keep_lengths=False)
    pipe.process(recs)
    pipe.flush(force=True)
    reader = MemoryRowReader(stores)
    lo, hi = START - 86_400_000, START + SPAN + 86_400_000
    exp = sum(oracle.expected(events, 86_400_000, "api_request", "cost_usd_micros", "sum", ()).values())
    for by in (("model", "query_source"), ("user",)):
        rows = query_events(reader, "events.api_request.cost_usd_micros", "1d", by, lo, hi)
        assert "__other__" in {r.labels[by[0]] for r in rows}
        assert sum(r.value for r in rows) == exp
    assert any(k.startswith("limits.groups_overflow.events.") for k in pipe.counters.values)


def test_event_names_from_clients_are_capped_too() -> None:
    from consumers.aggregates.events import EventPartial
    from consumers.decode.events import Event

    row = EventPartial()
    for i in range(10):
        p = EventPartial()
        p.fold(Event(0, "1", START, f"made_up_{i}", None, {}, {}, {}, {}))
        row.merge(p, cap=4)
    assert len(row.events) == 5 and row.events["__other__"] == 6 and sum(row.events.values()) == 10
