"""Firehose-like buffering: rows per event-time hour, flush by size or age, exact record range."""

from __future__ import annotations

import pytest

from consumers.lake.buffer import BufferLimits, LakeBuffer
from consumers.lake.transform import transform_record
from schemas.lake import Partition
from tests.lake.envelopes import T0, control_record, emf, record

HOUR_MS = 3_600_000
ANON = {"user.id": "u", "session.id": "s"}


def _rows(ts: int, n: int = 1) -> bytes:
    return record([(i, ts, emf(ts, ANON, {"claude_code.commit.count": i + 1})) for i in range(n)])


def test_rows_are_grouped_by_event_hour_and_the_batch_covers_exactly_its_records() -> None:
    buf = LakeBuffer("shard-1", BufferLimits(max_rows=100, max_age_ms=60_000))
    buf.add((10, 0), T0, transform_record(_rows(T0, 2), "a"), now_ms=0)
    buf.add((11, 0), T0, transform_record(control_record(), "b"), now_ms=1)
    buf.add((12, 0), T0, transform_record(_rows(T0 + HOUR_MS, 3), "c"), now_ms=2)
    assert not buf.should_flush(now_ms=59_999)
    batch = buf.take()
    assert batch is not None and buf.empty and buf.take() is None
    assert (batch.first, batch.last, batch.records) == ((10, 0), (12, 0), 3)
    assert {p: len(r) for p, r in batch.rows.items()} == {Partition(2025, 8, 21, 14): 2, Partition(2025, 8, 21, 15): 3}
    assert batch.name == "shard-1-10.0-12.0"


def test_flush_when_full_or_old() -> None:
    buf = LakeBuffer("s", BufferLimits(max_rows=3, max_age_ms=1000))
    assert not buf.should_flush(now_ms=10**9)  # empty never flushes
    buf.add((1, 0), T0, transform_record(_rows(T0, 2), "a"), now_ms=500)
    assert not buf.should_flush(now_ms=1499)
    assert buf.should_flush(now_ms=1500)  # age
    buf.add((2, 0), T0, transform_record(_rows(T0, 1), "b"), now_ms=600)
    assert buf.should_flush(now_ms=600)  # size


def test_positions_must_increase_and_clear_forgets() -> None:
    buf = LakeBuffer("s")
    buf.add((5, 0), T0, transform_record(_rows(T0), "a"), now_ms=0)
    with pytest.raises(ValueError):
        buf.add((5, 0), T0, transform_record(_rows(T0), "a"), now_ms=0)
    buf.clear()
    assert buf.empty and buf.last is None and buf.take() is None
