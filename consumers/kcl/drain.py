"""Is a KCL application caught up? Per-shard drain status and the `--until-idle` decision.

A shard is *drained and checkpointed* when its lease's checkpoint is the shard's last sequence number: GetRecords
after the checkpoint (AFTER_SEQUENCE_NUMBER, or TRIM_HORIZON when nothing was checkpointed yet) returns nothing.
A closed shard is drained only at SHARD_END, or when its lease was already cleaned up after completion (the KCL
deletes it once a child shard has a lease). An open shard without a lease is not drained: the worker has not
picked it up yet.

`IdleTracker` turns successive statuses into "idle for N seconds": the clock starts when every shard is drained
and restarts whenever any checkpoint moves, so new records (which make a shard not drained) reset it. Time is
passed in, so the rule is tested without waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from consumers.kcl.leases import Lease, read_leases
from consumers.kcl.shards import SENTINELS, SHARD_END, TRIM_HORIZON, ShardInfo, list_shards, probe_after


@dataclass(frozen=True)
class ShardDrain:
    """One shard's position for one application."""

    shard_id: str
    checkpoint: str | None
    drained: bool
    behind: int
    behind_capped: bool = False


@dataclass(frozen=True)
class AppDrain:
    """All shards of the stream for one application (lease table = `app`)."""

    app: str
    shards: tuple[ShardDrain, ...]

    @property
    def total(self) -> int:
        return len(self.shards)

    @property
    def drained_count(self) -> int:
        return sum(1 for s in self.shards if s.drained)

    @property
    def all_drained(self) -> bool:
        return all(s.drained for s in self.shards)

    @property
    def behind(self) -> int:
        return sum(s.behind for s in self.shards)

    @property
    def fingerprint(self) -> tuple[tuple[str, str | None], ...]:
        """What must stay unchanged for the application to count as idle."""
        return tuple((s.shard_id, s.checkpoint) for s in self.shards)

    def summary(self) -> str:
        behind = f"{self.behind}{'+' if any(s.behind_capped for s in self.shards) else ''}"
        return f"{self.app}: {self.total} shards, {self.drained_count}/{self.total} checkpointed, {behind} behind"


def shard_drain(
    kinesis: Any, stream: str, shard: ShardInfo, lease: Lease | None, has_leased_child: bool, limit: int
) -> ShardDrain:
    """Drain status of one shard given its lease (None = no lease row)."""
    if lease is None:
        done = shard.closed and has_leased_child
        return ShardDrain(shard.shard_id, None, drained=done, behind=0)
    checkpoint = lease.checkpoint
    if checkpoint == SHARD_END:
        return ShardDrain(shard.shard_id, checkpoint, drained=True, behind=0)
    if checkpoint in SENTINELS and checkpoint != TRIM_HORIZON:
        # LATEST / AT_TIMESTAMP: the position is not a record, so "caught up" cannot be decided from it.
        return ShardDrain(shard.shard_id, checkpoint, drained=False, behind=0)
    probe = probe_after(kinesis, stream, shard.shard_id, checkpoint, limit=limit)
    drained = probe.caught_up and not shard.closed
    return ShardDrain(shard.shard_id, checkpoint, drained=drained, behind=probe.behind, behind_capped=probe.capped)


def app_drain(kinesis: Any, ddb: Any, stream: str, app: str, limit: int = 25) -> AppDrain:
    """Drain status of every shard of `stream` for the application whose lease table is `app`."""
    shards = list_shards(kinesis, stream)
    leases = read_leases(ddb, app)
    # Shards with at least one leased child, from the child's lease or from ListShards' parent links.
    children_leased = {p for lease in leases.values() for p in lease.parent_ids}
    children_leased |= {p for s in shards if s.shard_id in leases for p in s.parent_ids}
    statuses = tuple(
        shard_drain(kinesis, stream, shard, leases.get(shard.shard_id), shard.shard_id in children_leased, limit=limit)
        for shard in shards
    )
    return AppDrain(app=app, shards=statuses)


class IdleTracker:
    """Decides when an application has been drained, with no checkpoint moving, for `idle_ms`."""

    def __init__(self, idle_ms: int) -> None:
        if idle_ms < 0:
            raise ValueError(f"idle_ms must be >= 0, got {idle_ms}")
        self.idle_ms = idle_ms
        self._since_ms: int | None = None
        self._fingerprint: tuple[tuple[str, str | None], ...] | None = None

    def observe(self, status: AppDrain, now_ms: int) -> bool:
        """Record one status taken at `now_ms`; True once drained and unchanged for `idle_ms`."""
        if not status.all_drained or not status.shards:
            self._since_ms = None
            self._fingerprint = None
            return False
        if self._since_ms is None or status.fingerprint != self._fingerprint:
            self._since_ms = now_ms
            self._fingerprint = status.fingerprint
        return now_ms - self._since_ms >= self.idle_ms

    def idle_for_ms(self, now_ms: int) -> int:
        return 0 if self._since_ms is None else now_ms - self._since_ms
