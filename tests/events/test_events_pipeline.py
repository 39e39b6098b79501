"""The events pipeline is exact under crashes, replays, CloudWatch redeliveries and batch splits, and stores no
content. Expected values come from tests/events/oracle.py (plain Python over the generated events)."""

from __future__ import annotations

import math
import random
from typing import Any

import msgspec
import pytest

from consumers.config import Tunables
from consumers.events_pipeline import EventsPipeline
from consumers.model import SourceRecord
from consumers.query.events import query_events
from consumers.query.reader import MemoryRowReader
from consumers.sink.memory import MemoryStores
from tests.events import oracle
from tests.events.generator import SECRET, SPAN, START, random_records
from tests.events.oracle import QUERIES

TUNABLES = Tunables(flush_interval_ms=3, user_flush_interval_ms=6, size_flush_interval_ms={"1h": 6, "1d": 10})


class Crash(Exception):
    pass


class CrashingStores(MemoryStores):
    fail_after: int | None = None

    def save_rows(self, shard_id, rows):  # type: ignore[no-untyped-def]
        for w in rows:
            if self.fail_after is not None:
                if self.fail_after == 0:
                    self.fail_after = None
                    raise Crash("mid-flush")
                self.fail_after -= 1
            super().save_rows(shard_id, [w])


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
    crashes = 0
    for shard, records in by_shard.items():
        clock = [0]
        checkpoint = None

        def fresh(shard: str = shard, clock: list[int] = clock) -> EventsPipeline:
            p = EventsPipeline("events", shard, stores.stores(), tunables, clock_ms=lambda: clock[0])
            p.restore(checkpoint)  # noqa: B023 - the current checkpoint
            return p

        pipe, i = fresh(), 0
        while True:
            start = 0 if checkpoint is None else next(k for k, r in enumerate(records) if r.position == checkpoint) + 1
            i = max(i, start)
            if i >= len(records):
                break
            n = rng.randrange(1, 6)
            pipe.process(records[i : i + n])
            i += n
            clock[0] += rng.randrange(1, 10)
            try:
                if crash_rate and rng.random() < crash_rate / 2:
                    stores.fail_after = rng.randrange(0, 4)
                snap = pipe.flush(force=i >= len(records))
                if crash_rate and rng.random() < crash_rate / 2:
                    raise Crash("after writes, before checkpoint")
                if snap is not None:
                    pipe.remember_checkpoint(snap)
                    checkpoint = snap.position
            except Crash:
                crashes += 1
                stores.fail_after = None
                pipe, i = fresh(), 0
                continue
            if i >= len(records) and not pipe.has_unflushed:
                break
    return crashes


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
