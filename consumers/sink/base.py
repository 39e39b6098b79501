"""The storage contract of a shard pipeline, and the exactly-once rules it relies on.

Rows are *absolute* per-shard partial aggregates, each written with a fence: the shard position of the last record
it reflects. A row = f(every record of its shard up to its fence), so:
- writing a row is idempotent (same fence ⇒ same content), and a conditional write `stored fence < new fence`
  keeps a stale writer (a zombie after lease loss) from going backwards;
- after a crash, a reloaded row tells which replayed records it already holds (position ≤ its fence) — those are
  skipped for that row, the others are added. Flush boundaries don't matter, so replay after a crash, lease loss or
  redeploy neither drops nor double-counts.
Dedup markers make CloudWatch's own redeliveries (same log events in a new Kinesis record) count once: the first
(shard, position) to claim a batch fingerprint owns it; the owner's own replays still count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

# The row key lives in `consumers.model` (windows, aggregates and sink all use it); re-exported here.
from consumers.model import DeadLetter, Position, RowKey, RowKind, window_of

__all__ = ["DeadLetter", "Position", "RowKey", "RowKind", "window_of"]


@dataclass(frozen=True, slots=True)
class StoredRow:
    key: RowKey
    fence: Position
    doc: dict[str, object]
    published: bool = False
    buckets: int = 0  # how many buckets its window is split into (0: written before counts were stored)


@dataclass(frozen=True, slots=True)
class RowWrite:
    key: RowKey
    fence: Position
    doc: dict[str, object]
    ttl_s: int
    published: bool = False  # keep the "sent to CloudWatch" mark when a late event rewrites a closed window
    buckets: int = 0  # the bucket count of the row's window, stored so that a restart routes the same way


@dataclass(frozen=True, slots=True)
class ShardSnapshot:
    """Watermark and counters as of a checkpointed position, so a restart replays with the same decisions."""

    position: Position
    watermark_ms: int
    counters: dict[str, int]


class FencedError(Exception):
    """A row in the store is ahead of this writer: another worker owns the shard now."""


class RowStore(Protocol):
    def load_rows(self, shard_id: str, keys: list[RowKey]) -> dict[RowKey, StoredRow]: ...

    def save_rows(self, shard_id: str, rows: list[RowWrite]) -> None:
        """Write rows conditionally on their fence. Equal fence = already written = success.
        Raises FencedError when a stored fence is newer, SinkRetryableError on transient failure."""
        ...

    def bucket_counts(self, shard_id: str, windows: list[RowKey]) -> dict[RowKey, int]:
        """For each window (`window_of` key) that has a stored row of this shard: the bucket count stored with it
        (0 for rows written before counts were stored). Read strongly consistently, like `load_rows`."""
        ...


class PublishClaims(Protocol):
    def claim_publish(self, shard_id: str, key: RowKey) -> bool:
        """Mark this shard's row of a closed window as published; False if it already was (a replay)."""
        ...


class WindowPublisher(Protocol):
    def publish_window(self, window_start_ms: int, partial: Any, ratios: bool = True) -> int: ...


class DedupStore(Protocol):
    def claim(self, shard_id: str, claims: list[tuple[str, Position]]) -> set[str]:
        """Claim batch fingerprints for (shard, position). Returns the fingerprints owned by someone else."""
        ...


class StateStore(Protocol):
    def load_snapshots(self, app: str, shard_id: str) -> list[ShardSnapshot]: ...

    def save_snapshot(self, app: str, shard_id: str, snapshot: ShardSnapshot) -> None: ...


class DeadLetterSink(Protocol):
    def write(self, letters: list[DeadLetter]) -> None:
        """Persist dead letters idempotently (the same letter written twice is stored once)."""
        ...


@dataclass(frozen=True)
class Stores:
    rows: RowStore
    dedup: DedupStore
    state: StateStore
    dead_letters: DeadLetterSink
    #: CloudWatch metrics per closed 1-minute window (None: not published). Claims go through `rows`, which must
    #: then also implement `PublishClaims`. At most once: the claim is taken before the metrics are sent.
    metrics: WindowPublisher | None = None
