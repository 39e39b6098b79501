"""Resharding mid-stream: a split, then a merge of the children; every shard has its own rows and fences, so the
totals stay exact through crashes on any shard.

The embedded emulator cannot run this under the real KCL: after SplitShard, moto keeps routing new records to the
parent and never ends it (no ChildShards, no SHARD_END; measured: all 3 records put after a split landed on the
parent), so the KCL would never start the children. The KCL's ordering (parents complete and are checkpointed at
SHARD_END before children start) is reproduced here by processing shards in lineage order; `shard_ended` itself is
covered by tests/kcl_processor/test_processor_stdio.py.
"""

from __future__ import annotations

import random
import zlib

import pytest

from consumers.model import SourceRecord
from tests.core import test_pipeline_exactly_once as scenario
from tests.core.crash_driver import CrashingStores


def reshard(seed: int, n: int) -> tuple[dict[str, list[SourceRecord]], list[scenario.Point]]:
    """One stream of records over time: parent P until 40 %, children A/B (by hash) until 75 %, then merged M."""
    flat, points = scenario.build_shards(seed, n, shards=1)
    records = next(iter(flat.values()))
    lineage: dict[str, list[SourceRecord]] = {"P": [], "A": [], "B": [], "M": []}
    for i, r in enumerate(records):
        if i < 0.4 * n:
            shard = "P"
        elif i < 0.75 * n:
            shard = "A" if zlib.crc32(r.partition_key.encode()) % 2 else "B"
        else:
            shard = "M"
        shard_id = f"shardId-{'PABM'.index(shard):012d}"
        lineage[shard].append(SourceRecord(shard_id, r.sequence_number, 0, r.partition_key, r.data, r.arrival_ms))
    return {recs[0].shard_id: recs for recs in lineage.values() if recs}, points


def redeliver_across_the_split(by_shard: dict[str, list[SourceRecord]], n: int) -> int:
    """CloudWatch Logs resends the last `n` parent records' batches after the split (its own retry), and they land
    on a child shard with new sequence numbers. Returns how many copies were added."""
    parent, child = sorted(by_shard)[0], sorted(by_shard)[1]
    copies = [
        SourceRecord(child, r.sequence_number + 10**54, 0, r.partition_key, r.data, r.arrival_ms)
        for r in by_shard[parent][-n:]
    ]
    by_shard[child] = sorted(by_shard[child] + copies, key=lambda r: r.position)
    return len(copies)


@pytest.mark.parametrize("seed", range(4))
def test_split_then_merge_with_crashes_is_exact(seed: int) -> None:
    by_shard, points = reshard(500 + seed, 90)
    assert len(by_shard) == 4
    copies = redeliver_across_the_split(by_shard, 5)
    stores = CrashingStores()
    run = scenario.consume(by_shard, stores, random.Random(seed), crash_rate=0.3)
    assert run.mid_stream_restarts > 0
    # the copies on the child are exact duplicates of what the parent counted: a per-shard design alone would count
    # them twice; only the cross-shard dedup markers keep the totals exact
    scenario.assert_matches(stores, points)
    latest = [snaps[-1].counters for snaps in stores.snapshots.values()]
    assert sum(c.get("duplicate_records", 0) for c in latest) == copies
    # every shard of the lineage wrote its own rows (the children and the merged shard did take over)
    assert {shard for shard, _ in stores.rows} == set(by_shard)
