"""The exactly-once mechanics of one events shard: its open event rows (kind `E`), their fences, and eviction.

The same rules as `rowbook.py` (see `sink/base.py`): a row is this shard's absolute `EventPartial` of one window up
to its fence. `apply` adds the per-window partials of records first..last to the rows, skipping rows that already
hold them (a reloaded row whose fence is at or after `last`) and refusing the batch when a fence falls strictly
inside it (the caller then goes record by record). Per window and shard: the window row (bucket 0) and
`USER_BUCKETS` user rows for the families keyed by the person (`user_bucket`). A family holds at most
`max_groups_per_window` groups per row, later ones are summed under `__other__`
(counted as `limits.groups_overflow.events.<size>`).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import cast

from consumers.aggregates.events import EventPartial
from consumers.config import Tunables
from consumers.model import Position, RowKey, RowKind
from consumers.shard.counters import LIMIT_COUNTER, Counters
from consumers.shard.rowbook import NO_POSITION, ttl_s
from consumers.sink.base import RowStore, RowWrite
from consumers.windows.definitions import WINDOW_SIZES
from schemas import events as ev

#: Rows per window and shard that hold the families keyed by the person (`api_user`, `prompt`, `prompt_session`),
#: by crc32 of the person: 10,000 developers' hour is ~400 KB encoded, which one item cannot hold and which would be
#: rewritten whole at every flush. Fixed (not a setting): a replay must route every record to the row holding it.
USER_BUCKETS = 16


def user_bucket(user: str) -> int:
    """The user row (1 … USER_BUCKETS) of a person; bucket 0 is the window row."""
    return 1 + zlib.crc32(user.encode()) % USER_BUCKETS


#: Row kind of event partials (`E1M`, `E1H`, `E1D` in sort keys and in the MetricTypeIndex).
EVENT_KIND: RowKind = cast("RowKind", ev.ROW_KIND)


@dataclass(slots=True)
class EventRow:
    key: RowKey
    partial: EventPartial
    base_fence: Position
    first_dirty: Position | None = None

    @property
    def dirty(self) -> bool:
        return self.first_dirty is not None


class EventBook:
    def __init__(self, shard_id: str, store: RowStore, tunables: Tunables) -> None:
        self.shard_id = shard_id
        self.store = store
        self.cap = max(1, tunables.max_groups_per_window)
        self.rows: dict[RowKey, EventRow] = {}

    def apply(self, fine: dict[RowKey, EventPartial], first: Position, last: Position, counters: Counters) -> bool:
        """Add per-window partials covering records first..last; False (nothing applied) if a fence is inside."""
        self._load_missing(list(fine))
        rows = self.rows
        if any(first <= rows[k].base_fence < last for k in fine):
            return False
        for key, partial in fine.items():
            row = rows[key]
            if row.base_fence >= first:
                continue  # this row already holds these records
            if row.first_dirty is None:
                row.first_dirty = first
            overflow = row.partial.merge(partial, self.cap)
            if overflow:
                counters.add(f"{LIMIT_COUNTER}groups_overflow.events.{key.size}", overflow)
        return True

    def _load_missing(self, keys: list[RowKey]) -> None:
        missing = [k for k in keys if k not in self.rows]
        if not missing:
            return
        stored = self.store.load_rows(self.shard_id, missing)
        for k in missing:
            s = stored.get(k)
            self.rows[k] = (
                EventRow(k, EventPartial(), NO_POSITION)
                if s is None
                else EventRow(k, EventPartial.from_doc(s.doc), s.fence)
            )

    def writes(self, due: set[tuple[str, str]], position: Position) -> list[RowWrite]:
        """Fenced writes of the dirty rows that are due: the window row (bucket 0) on the window rows' schedule
        (`W`), the user rows on the user rows' (`U`), as for the metrics."""
        return [
            RowWrite(r.key, position, r.partial.to_doc(), ttl_s(r.key), buckets=USER_BUCKETS + 1)
            for r in self.rows.values()
            if r.dirty and ("U" if r.key.bucket else "W", r.key.size) in due
        ]

    def mark_written(self, writes: list[RowWrite]) -> None:
        for w in writes:
            self.rows[w.key].first_dirty = None

    def first_dirty(self) -> Position | None:
        dirty = [r.first_dirty for r in self.rows.values() if r.first_dirty is not None]
        return min(dirty) if dirty else None

    @property
    def dirty(self) -> bool:
        return any(r.dirty for r in self.rows.values())

    def evict(self, watermark_ms: int) -> None:
        for key in [k for k, r in self.rows.items() if not r.dirty and _closed_long_ago(k, watermark_ms)]:
            del self.rows[key]

    def drop(self) -> None:
        self.rows.clear()


def _closed_long_ago(key: RowKey, watermark_ms: int) -> bool:
    size = WINDOW_SIZES[key.size]
    return size.end_of(key.start_ms) + size.keep_after_end_ms < watermark_ms
