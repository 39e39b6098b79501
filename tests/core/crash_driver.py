"""Drive shard pipelines like the KCL, crashing at random: the harness of the exactly-once tests (metrics and events).

Each shard is fed in batches of 1–5 records on a clock that moves 1–9 ms per batch; a flush can fail in the middle
of its row writes (`CrashingStores.fail_after`) or the process can die after the writes and before the checkpoint.
After a crash a new pipeline resumes from the last checkpoint and the records after it are delivered again. The
expected figures are the tests' own (independent of the pipelines); this module only delivers.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from consumers.model import SourceRecord
from consumers.sink.memory import MemoryStores


class Crash(Exception):
    pass


class FailsMidFlush:
    """Mixed in before a store: its row writes fail after `fail_after` more rows (a crash in the middle of a flush),
    once."""

    fail_after: int | None = None

    def save_rows(self, shard_id, rows):  # type: ignore[no-untyped-def]
        for w in rows:
            if self.fail_after is not None:
                if self.fail_after == 0:
                    self.fail_after = None
                    raise Crash("mid-flush")
                self.fail_after -= 1
            super().save_rows(shard_id, [w])  # type: ignore[misc]


class CrashingStores(FailsMidFlush, MemoryStores):
    """Memory stores that can fail after N more row writes."""


@dataclass
class Run:
    crashes: int = 0
    #: restarts that resumed from a checkpoint strictly inside the shard's records (not its start, not its end)
    mid_stream_restarts: int = 0


#: (shard, clock, checkpoint to restore, crashes so far) → a pipeline with `process`, `flush`, `remember_checkpoint`
#: and `has_unflushed`, restored to the checkpoint.
PipelineFactory = Callable[[str, Callable[[], int], Any, int], Any]


def drive_with_crashes(
    by_shard: dict[str, list[SourceRecord]],
    stores: CrashingStores,
    rng: random.Random,
    crash_rate: float,
    new_pipeline: PipelineFactory,
) -> Run:
    """Deliver every shard's records, crashing at `crash_rate` (half mid-flush, half before the checkpoint)."""
    run = Run()
    for shard, records in by_shard.items():
        clock = [0]
        checkpoint = None

        def fresh(shard: str = shard, clock: list[int] = clock) -> Any:
            return new_pipeline(shard, lambda: clock[0], checkpoint, run.crashes)  # noqa: B023 - the current one

        pipe = fresh()
        i = 0
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
                run.crashes += 1
                if checkpoint is not None and checkpoint != records[-1].position:
                    run.mid_stream_restarts += 1
                stores.fail_after = None
                pipe = fresh()
                i = 0  # replay from the checkpoint
                continue
            if i >= len(records) and not pipe.has_unflushed:
                break
    return run
