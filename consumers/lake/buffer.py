"""Firehose-like buffering for one shard: rows per event-time hour, flushed by size or age.

The buffer remembers the first and last Kinesis position it holds, so a flush writes exactly the records
`[first, last]` and the caller may then checkpoint `last`. Nothing here talks to AWS.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from consumers.lake.deadletter import LakeDeadLetter
from consumers.lake.transform import RecordRows, Row
from schemas.lake import Partition

#: (sequence number, sub-sequence number)
Position = tuple[int, int]


@dataclass(frozen=True)
class BufferLimits:
    """Flush when this many rows are buffered, or the oldest buffered record is this old (ms), or no record has
    come for `idle_flush_ms` (0 = never; the aggregator's `CCSTREAM_IDLE_FLUSH_MS` rule)."""

    max_rows: int = 100_000
    max_age_ms: int = 60_000
    idle_flush_ms: int = 5_000

    def __post_init__(self) -> None:
        if self.max_rows <= 0 or self.max_age_ms < 0 or self.idle_flush_ms < 0:
            raise ValueError(f"bad buffer limits {self}")


@dataclass
class PendingBatch:
    """Everything taken out of the buffer by one flush."""

    shard_id: str
    first: Position
    last: Position
    first_arrival_ms: int
    rows: dict[Partition, list[Row]]
    dead_letters: list[LakeDeadLetter]
    records: int

    @property
    def name(self) -> str:
        """Deterministic file name stem: a replay of the same records overwrites instead of duplicating."""
        return f"{self.shard_id}-{self.first[0]}.{self.first[1]}-{self.last[0]}.{self.last[1]}"

    @property
    def row_count(self) -> int:
        return sum(len(r) for r in self.rows.values())


@dataclass
class LakeBuffer:
    shard_id: str
    limits: BufferLimits = field(default_factory=BufferLimits)
    _rows: dict[Partition, list[Row]] = field(default_factory=dict)
    _letters: list[LakeDeadLetter] = field(default_factory=list)
    _first: Position | None = None
    _last: Position | None = None
    _opened_ms: int = 0
    _first_arrival_ms: int = 0
    _records: int = 0
    _row_count: int = 0

    def add(self, position: Position, arrival_ms: int, out: RecordRows, now_ms: int) -> None:
        """Buffer one record's rows and dead letters (control records only advance the position)."""
        if self._last is not None and position <= self._last:
            raise ValueError(f"position {position} not after {self._last} on {self.shard_id}")
        if self._first is None:
            self._first, self._opened_ms, self._first_arrival_ms = position, now_ms, arrival_ms
        self._last = position
        self._records += 1
        for part, rows in out.partitions().items():
            self._rows.setdefault(part, []).extend(rows)
            self._row_count += len(rows)
        self._letters.extend(out.dead_letters)

    @property
    def empty(self) -> bool:
        return self._first is None

    @property
    def last(self) -> Position | None:
        return self._last

    def should_flush(self, now_ms: int) -> bool:
        if self.empty:
            return False
        return self._row_count >= self.limits.max_rows or now_ms - self._opened_ms >= self.limits.max_age_ms

    def idle(self, now_ms: int, last_records_ms: int) -> bool:
        """Something is buffered and no record has come for the idle limit: write it now."""
        limit = self.limits.idle_flush_ms
        return not self.empty and limit > 0 and now_ms - last_records_ms >= limit

    def take(self) -> PendingBatch | None:
        """Remove and return everything buffered (None when empty)."""
        if self._first is None or self._last is None:
            return None
        batch = PendingBatch(
            self.shard_id, self._first, self._last, self._first_arrival_ms, self._rows, self._letters, self._records
        )
        self.clear()
        return batch

    def clear(self) -> None:
        """Forget everything (lease lost: another worker re-reads from the last checkpoint)."""
        self._rows, self._letters = {}, []
        self._first = self._last = None
        self._records = self._row_count = 0
