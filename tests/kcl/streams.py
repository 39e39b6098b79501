"""Helpers for the KCL tests: a unique stream filled with known records (expected values kept from PutRecord)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PutRecords:
    """What was written: data by (shard, sequence number), and each shard's last sequence number."""

    by_position: dict[tuple[str, str], str]

    @property
    def last_by_shard(self) -> dict[str, str]:
        last: dict[str, str] = {}
        for shard, seq in self.by_position:
            if shard not in last or int(seq) > int(last[shard]):
                last[shard] = seq
        return last

    @property
    def count_by_shard(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for shard, _ in self.by_position:
            counts[shard] += 1
        return dict(counts)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def create_stream(kinesis: Any, shards: int = 2, prefix: str = "kcl-test") -> str:
    name = unique(prefix)
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    return name


def put_records(kinesis: Any, stream: str, count: int, tag: str = "r") -> PutRecords:
    by_position: dict[tuple[str, str], str] = {}
    for i in range(count):
        data = f"{tag}{i}"
        answer = kinesis.put_record(StreamName=stream, Data=data.encode(), PartitionKey=f"pk-{i}")
        by_position[(answer["ShardId"], answer["SequenceNumber"])] = data
    return PutRecords(by_position)
