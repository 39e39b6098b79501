"""Drive shard pipelines the way the KCL drives record processors, on a simulated clock.

Each shard is polled every `poll_ms` (the KCL 2.5.8 PollingConfig default `idleTimeBetweenReadsInMillis` is
1,500 ms; checked in the jar). A poll returns the records that arrived since the previous one (≤ 10,000 records,
≤ 10 MB); the processor is only called for a non-empty batch (the KCL default
`callProcessRecordsEvenForEmptyRecordList = false`), and then does what `consumers/kcl/processor.py` does:
`process`, `flush`, and on a snapshot `remember_checkpoint`. At the end every pipeline is flushed with `force`,
as on `shutdown_requested`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from consumers.config import Tunables
from consumers.model import SourceRecord
from consumers.pipeline import ShardPipeline
from consumers.sink.base import Stores

KCL_IDLE_BETWEEN_READS_MS = 1_500
KCL_MAX_RECORDS = 10_000
GET_RECORDS_MAX_BYTES = 10 * 1024 * 1024


@dataclass
class SimClock:
    """A settable millisecond clock, passed to the pipelines as `clock_ms`."""

    now_ms: int = 0

    def __call__(self) -> int:
        return self.now_ms


@dataclass
class DriveStats:
    polls: int = 0
    batches: int = 0
    records: int = 0
    checkpoints: int = 0


def poll_end(records: Sequence[SourceRecord], start: int, now_ms: int) -> int:
    """Where one poll at `now_ms` stops in `records[start:]` (sorted by arrival): after the records that arrived by
    then, at most KCL_MAX_RECORDS of them and at most GET_RECORDS_MAX_BYTES (the first one always)."""
    i, size = start, 0
    while i < len(records) and records[i].arrival_ms <= now_ms and i - start < KCL_MAX_RECORDS:
        if i > start and size + len(records[i].data) > GET_RECORDS_MAX_BYTES:
            break
        size += len(records[i].data)
        i += 1
    return i


def build_pipelines(
    app: str, shards: list[str], stores: Stores, clock: SimClock, tunables: Tunables | None = None
) -> dict[str, ShardPipeline]:
    return {shard: ShardPipeline(app, shard, stores, tunables, clock_ms=clock) for shard in shards}


def drive_like_kcl(
    pipelines: Mapping[str, ShardPipeline],
    records: Mapping[str, list[SourceRecord]],
    clock: SimClock,
    poll_ms: int = KCL_IDLE_BETWEEN_READS_MS,
    on_poll: Callable[[int], None] | None = None,
) -> DriveStats:
    """Deliver every shard's records (sorted by arrival) in KCL-like polls; returns what happened."""
    stats = DriveStats()
    arrivals = [r.arrival_ms for recs in records.values() for r in recs]
    if not arrivals:
        return stats
    next_index = dict.fromkeys(records, 0)
    now = min(arrivals)
    end = max(arrivals)
    while True:
        clock.now_ms = now
        stats.polls += 1
        for shard, pipeline in pipelines.items():
            recs = records.get(shard, [])
            start = next_index[shard]
            i = poll_end(recs, start, now)
            if i == start:
                continue
            next_index[shard] = i
            pipeline.process(recs[start:i])
            stats.batches += 1
            stats.records += i - start
            snapshot = pipeline.flush()
            if snapshot is not None:
                pipeline.remember_checkpoint(snapshot)
                stats.checkpoints += 1
        if on_poll is not None:
            on_poll(now)
        if now > end and all(next_index[s] >= len(r) for s, r in records.items()):
            break
        now += poll_ms
    for pipeline in pipelines.values():
        snapshot = pipeline.flush(force=True)
        if snapshot is not None:
            pipeline.remember_checkpoint(snapshot)
            stats.checkpoints += 1
    return stats
