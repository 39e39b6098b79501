"""The shards of a Kinesis stream, and what lies after a checkpoint in one of them.

`list_shards` pages through ListShards. `probe_after` answers "is there anything after this checkpoint?" with one
GetShardIterator (AFTER_SEQUENCE_NUMBER, or TRIM_HORIZON for a fresh checkpoint) and GetRecords calls; it counts at
most `limit` records, so it is cheap enough to run every few seconds (each call counts against the shard's 5
GetRecords/s, shared with the consumers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from consumers.errors import ConfigError

TRIM_HORIZON = "TRIM_HORIZON"
LATEST = "LATEST"
AT_TIMESTAMP = "AT_TIMESTAMP"
SHARD_END = "SHARD_END"
#: Checkpoint values the KCL writes instead of a sequence number.
SENTINELS = frozenset({TRIM_HORIZON, LATEST, AT_TIMESTAMP, SHARD_END})

#: Empty GetRecords answers followed on one probe while the shard reports it is still behind (sparse shards).
MAX_EMPTY_HOPS = 5


@dataclass(frozen=True)
class ShardInfo:
    """One shard as ListShards describes it."""

    shard_id: str
    parent_ids: tuple[str, ...]
    starting_hash_key: str
    ending_hash_key: str
    closed: bool


@dataclass(frozen=True)
class Probe:
    """What follows a checkpoint: `behind` records seen (capped at the probe's limit; `capped` says so)."""

    behind: int
    capped: bool
    last_sequence: str | None

    @property
    def caught_up(self) -> bool:
        return self.behind == 0


def stream_exists(kinesis: Any, stream: str) -> bool:
    try:
        kinesis.describe_stream_summary(StreamName=stream)
    except kinesis.exceptions.ResourceNotFoundException:
        return False
    return True


def list_shards(kinesis: Any, stream: str) -> list[ShardInfo]:
    """Every shard of `stream` (open and closed) in ListShards order."""
    shards: list[ShardInfo] = []
    kwargs: dict[str, Any] = {"StreamName": stream}
    while True:
        try:
            page = kinesis.list_shards(**kwargs)
        except kinesis.exceptions.ResourceNotFoundException as exc:
            raise ConfigError(
                f"Kinesis stream {stream!r} does not exist; run `ccstream deploy` (or check --endpoint-url)."
            ) from exc
        for shard in page.get("Shards", []):
            parents = tuple(
                p for p in (shard.get("ParentShardId"), shard.get("AdjacentParentShardId")) if p is not None
            )
            hash_range = shard.get("HashKeyRange", {})
            shards.append(
                ShardInfo(
                    shard_id=shard["ShardId"],
                    parent_ids=parents,
                    starting_hash_key=str(hash_range.get("StartingHashKey", "")),
                    ending_hash_key=str(hash_range.get("EndingHashKey", "")),
                    closed="EndingSequenceNumber" in shard.get("SequenceNumberRange", {}),
                )
            )
        token = page.get("NextToken")
        if not token:
            return shards
        kwargs = {"NextToken": token}


def probe_after(kinesis: Any, stream: str, shard_id: str, checkpoint: str, limit: int = 25) -> Probe:
    """Records after `checkpoint` (a sequence number or TRIM_HORIZON) in one shard, counted up to `limit`."""
    if checkpoint == TRIM_HORIZON:
        iterator_args: dict[str, Any] = {"ShardIteratorType": TRIM_HORIZON}
    elif checkpoint in SENTINELS:
        raise ValueError(f"cannot probe after a {checkpoint} checkpoint")
    else:
        iterator_args = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": checkpoint}
    iterator = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard_id, **iterator_args)["ShardIterator"]
    for _ in range(MAX_EMPTY_HOPS):
        if not iterator:
            break
        page = kinesis.get_records(ShardIterator=iterator, Limit=limit)
        records = page.get("Records", [])
        if records:
            return Probe(behind=len(records), capped=len(records) >= limit, last_sequence=records[-1]["SequenceNumber"])
        if not page.get("MillisBehindLatest"):
            break
        iterator = page.get("NextShardIterator")
    return Probe(behind=0, capped=False, last_sequence=None)
