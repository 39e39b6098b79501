"""What the aggregator has done so far, from its shard snapshots (the counters saved with each checkpoint)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from consumers.config import Names
from consumers.pipeline import dead_letters_by_reason
from consumers.sink.dynamodb import DynamoStores


@dataclass(frozen=True)
class PipelineStatus:
    shards: int
    counters: dict[str, int] = field(default_factory=dict)
    watermark_ms: int = 0

    def get(self, name: str) -> int:
        return self.counters.get(name, 0)

    @property
    def dead_letters(self) -> int:
        return sum(self.dead_letters_by_reason.values())

    @property
    def dead_letters_by_reason(self) -> dict[str, int]:
        return dead_letters_by_reason(self.counters)


def pipeline_status(kinesis: Any, ddb: Any, names: Names) -> PipelineStatus:
    """Sum the latest checkpointed counters of every shard of the stream (parents of a reshard included)."""
    shard_ids = []
    kwargs: dict[str, Any] = {"StreamName": names.stream}
    while True:
        resp = kinesis.list_shards(**kwargs)
        shard_ids += [s["ShardId"] for s in resp["Shards"]]
        if not resp.get("NextToken"):
            break
        kwargs = {"NextToken": resp["NextToken"]}
    store = DynamoStores(ddb, names.table)
    total: dict[str, int] = {}
    watermark = 0
    for shard in shard_ids:
        snaps = store.load_snapshots(names.consumer_app, shard)
        if not snaps:
            continue
        latest = max(snaps, key=lambda s: s.position)
        watermark = max(watermark, latest.watermark_ms)
        for k, v in latest.counters.items():
            total[k] = total.get(k, 0) + v
    return PipelineStatus(len(shard_ids), total, watermark)
