"""What the aggregator has done so far, from its shard snapshots (the counters saved with each checkpoint).

`pipeline_status` sums them over the stream's shards; `status_fields` words them, in one order, for both the live
view and the plain progress lines of `ccstream up`.
"""

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


def status_fields(status: PipelineStatus, now_ms: int) -> list[tuple[str, str]]:
    """(label, text) pairs: points aggregated, windows written, duplicates dropped, dead letters, lag."""
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(status.dead_letters_by_reason.items())) or "none"
    fields = [
        ("points aggregated", f"{status.get('points'):,} from {status.get('records'):,} records"),
        ("windows written", f"{status.get('rows_written'):,} row writes (1m/1h/1d partials)"),
        ("duplicates dropped", f"{status.get('duplicate_records'):,} records"),
        ("dead letters", f"{status.dead_letters:,} ({reasons})"),
    ]
    if status.watermark_ms:
        fields.append(("lag", f"{max(0, now_ms - status.watermark_ms) / 1000:,.0f}s behind newest event time"))
    else:  # the line keeps its shape until a shard has stored a watermark
        fields.append(("lag", "unknown (no shard has stored a watermark yet)"))
    return fields


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
