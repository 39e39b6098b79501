"""When rows are due, and which position is safe to checkpoint.

`FlushSchedule`: each (kind, size) of row is written at most every its interval (injected clock, ms).
`CheckpointTracker`: the snapshots at the end of each processed batch, in order; the safe one is the latest whose
position lies before every record still held in memory only (`RowBook.first_dirty`).
"""

from __future__ import annotations

from collections.abc import Iterable

from consumers.config import Tunables
from consumers.model import Position
from consumers.sink.base import ShardSnapshot


class FlushSchedule:
    def __init__(self, tunables: Tunables, sizes: Iterable[str], now_ms: int) -> None:
        sizes = tuple(sizes)
        by_kind = {"W": tunables.flush_interval_ms, "U": tunables.user_flush_interval_ms}
        self.interval_ms = {
            (kind, size): max(ms, tunables.size_flush_interval_ms.get(size, 0))
            for kind, ms in by_kind.items()
            for size in sizes
        }
        self.last_ms = dict.fromkeys(self.interval_ms, now_ms)

    def due(self, now_ms: int, force: bool = False) -> set[tuple[str, str]]:
        return {ks for ks, interval in self.interval_ms.items() if force or now_ms - self.last_ms[ks] >= interval}

    def flushed(self, due: Iterable[tuple[str, str]], now_ms: int) -> None:
        for ks in due:
            self.last_ms[ks] = now_ms


class CheckpointTracker:
    def __init__(self) -> None:
        self._batch_ends: list[ShardSnapshot] = []

    def batch_end(self, snapshot: ShardSnapshot) -> None:
        self._batch_ends.append(snapshot)

    @property
    def pending(self) -> bool:
        """A batch end not yet handed out as safe (a checkpoint is still to be taken)."""
        return bool(self._batch_ends)

    def safe(self, first_dirty: Position | None) -> ShardSnapshot | None:
        """The latest batch end before `first_dirty` (None: nothing held in memory), handed out once."""
        safe = None
        while self._batch_ends and (first_dirty is None or self._batch_ends[0].position < first_dirty):
            safe = self._batch_ends.pop(0)
        return safe

    def clear(self) -> None:
        self._batch_ends.clear()
