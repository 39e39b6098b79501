"""One shard's pipeline: records in → decoded, de-duplicated, windowed, pre-aggregated → fenced rows out.

The KCL adapter (`kcl/processor.py`) calls `restore` once, then `process` per batch and `flush` after it; `flush`
returns the position that is safe to checkpoint: every record up to it is reflected in rows already written and
its dead letters are stored. See `sink/base.py` for why replays can neither drop nor double-count.
"""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from consumers.aggregates.dimensions import DIMENSION_SETS
from consumers.aggregates.partials import UserPartial, WindowPartial
from consumers.aggregates.pricing import derived_values
from consumers.config import Tunables
from consumers.decode.records import decode_record
from consumers.model import DeadLetter, Position, SourceRecord
from consumers.sink.base import RowKey, RowWrite, ShardSnapshot, StoredRow, Stores
from consumers.windows.definitions import WINDOW_SIZES, WindowSize
from consumers.windows.watermark import Lateness, Watermark
from schemas.catalogue import user_key
from schemas.emf import DataPoint
from schemas.prices import PriceTable, load_prices

log = logging.getLogger(__name__)

NO_POSITION: Position = (-1, -1)


@dataclass(slots=True)
class RowState:
    key: RowKey
    partial: WindowPartial | UserPartial
    base_fence: Position  # the stored row already reflects records up to here
    first_dirty: Position | None = None  # first record applied since the last write

    @property
    def dirty(self) -> bool:
        return self.first_dirty is not None


@dataclass(slots=True)
class Counters:
    values: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, n: int = 1) -> None:
        self.values[name] = self.values.get(name, 0) + n


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


class ShardPipeline:
    def __init__(
        self,
        app: str,
        shard_id: str,
        stores: Stores,
        tunables: Tunables | None = None,
        clock_ms: Callable[[], int] = wall_clock_ms,
        prices: PriceTable | None = None,
    ) -> None:
        self.app = app
        self.shard_id = shard_id
        self.stores = stores
        self.tunables = tunables or Tunables()
        self.clock_ms = clock_ms
        self.prices = prices or load_prices()
        self.sizes: tuple[WindowSize, ...] = tuple(WINDOW_SIZES[n] for n in self.tunables.window_sizes)
        self.watermark = Watermark(self.tunables.allowed_lateness_ms, self.tunables.max_future_ms)
        self.counters = Counters()
        self.rows: dict[RowKey, RowState] = {}
        self.position: Position = NO_POSITION
        self._pending_letters: list[DeadLetter] = []
        self._batch_ends: list[ShardSnapshot] = []  # candidates for the next checkpoint, in order
        now = clock_ms()
        self._last_flush_ms = {"W": now, "U": now}

    # ----------------------------------------------------------------------------------------------- lifecycle
    def restore(self, checkpoint: Position | None) -> None:
        """Resume watermark and counters exactly as they were at the KCL checkpoint we restart from."""
        if checkpoint is None:
            return
        for snap in self.stores.state.load_snapshots(self.app, self.shard_id):
            if snap.position == checkpoint:
                self.watermark.value_ms = snap.watermark_ms
                self.counters = Counters(dict(snap.counters))
                self.position = checkpoint
                return
        log.warning(
            "%s: no saved state for checkpoint %s; starting with an empty watermark",
            self.shard_id,
            checkpoint,
        )

    def drop(self) -> None:
        """Lease lost: forget everything in memory (the next owner replays from the checkpoint)."""
        self.rows.clear()
        self._pending_letters.clear()
        self._batch_ends.clear()

    # ----------------------------------------------------------------------------------------------- processing
    def process(self, records: list[SourceRecord]) -> None:
        decoded = []
        claims = []
        for rec in records:
            if rec.position <= self.position:
                continue  # the KCL re-sent something we already hold in memory
            d = decode_record(rec)
            decoded.append((rec, d))
            if d.kind == "data":
                claims.append((d.fingerprint, rec.position))
        duplicates = self.stores.dedup.claim(self.shard_id, claims) if claims else set()

        planned: list[tuple[Position, DataPoint, list[RowKey], str | None]] = []
        for rec, d in decoded:
            self.counters.add("records")
            self.position = rec.position
            if d.kind == "control":
                self.counters.add("control_messages")
                continue
            if d.kind == "data" and d.fingerprint in duplicates:
                self.counters.add("duplicate_records")
                self.counters.add("duplicate_events", d.event_count)
                continue
            self.counters.add("log_events", d.event_count)
            for dl in d.dead_letters:
                self._dead(dl)
            for ev in d.events:
                for point in ev.points:
                    verdict = self.watermark.classify(point.timestamp_ms, rec.arrival_ms)
                    if verdict is not Lateness.ON_TIME:
                        self._dead(self._late_letter(rec, ev.log_event_id, ev.index, point, verdict))
                        continue
                    self.watermark.observe(point.timestamp_ms)
                    user = user_key(point.attributes)
                    planned.append((rec.position, point, self._row_keys(point.timestamp_ms, user), user))
                    self.counters.add("points")
        if decoded:
            self._batch_ends.append(ShardSnapshot(self.position, self.watermark.value_ms, dict(self.counters.values)))

        self._load_missing({k for _, _, keys, _ in planned for k in keys})
        for pos, point, keys, user in planned:
            self._apply(pos, point, keys, user)

    def _row_keys(self, ts_ms: int, user: str | None) -> list[RowKey]:
        keys = [RowKey("W", s.name, s.start_of(ts_ms)) for s in self.sizes]
        if user is not None:
            bucket = zlib.crc32(user.encode()) % self.tunables.user_buckets
            keys += [RowKey("U", s.name, s.start_of(ts_ms), bucket) for s in self.sizes]
        return keys

    def _load_missing(self, keys: set[RowKey]) -> None:
        missing = [k for k in keys if k not in self.rows]
        if not missing:
            return
        stored = self.stores.rows.load_rows(self.shard_id, missing)
        for k in missing:
            self.rows[k] = _row_from_store(k, stored.get(k))

    def _apply(self, pos: Position, point: DataPoint, keys: list[RowKey], user: str | None) -> None:
        attrs = point.attributes
        derived = derived_values(self.prices, point.metric, point.value, attrs)
        dim_keys = None
        for key in keys:
            row = self.rows[key]
            if pos <= row.base_fence:
                continue  # this row was written after this record: it already holds it
            if row.first_dirty is None:
                row.first_dirty = pos
            partial = row.partial
            if isinstance(partial, WindowPartial):
                if dim_keys is None:
                    dim_keys = [(ds.name, k) for ds in DIMENSION_SETS if (k := ds.key_of(attrs)) is not None]
                partial.add(dim_keys, point.metric, point.value)
                if derived:
                    partial.add(dim_keys, derived[0], derived[1])
                partial.points += 1
            else:
                entry = partial.entry(user)  # type: ignore[arg-type]
                entry.sums[point.metric] = entry.sums.get(point.metric, 0.0) + point.value
                if derived:
                    entry.sums[derived[0]] = entry.sums.get(derived[0], 0.0) + derived[1]
                session = attrs.get("session.id")
                if session:
                    entry.sessions.add(session)

    def _dead(self, dl: DeadLetter) -> None:
        self._pending_letters.append(dl)
        self.counters.add(f"dead_letters.{dl.reason}")

    def _late_letter(
        self, rec: SourceRecord, event_id: str, index: int, point: DataPoint, verdict: Lateness
    ) -> DeadLetter:
        import msgspec

        return DeadLetter(
            reason=verdict.value,
            detail=f"event {point.timestamp_ms} vs watermark {self.watermark.value_ms} / arrival {rec.arrival_ms}",
            shard_id=rec.shard_id,
            sequence_number=str(rec.sequence_number),
            sub_sequence_number=rec.sub_sequence_number,
            index=index,
            payload=msgspec.json.encode(point).decode(),
            log_event_id=event_id,
            metric=point.metric,
            event_timestamp_ms=point.timestamp_ms,
        )

    # ----------------------------------------------------------------------------------------------- flushing
    def flush(self, force: bool = False) -> ShardSnapshot | None:
        """Write the rows that are due; return the snapshot of the position that is now safe to checkpoint."""
        now = self.clock_ms()
        due = {
            kind
            for kind, interval in (
                ("W", self.tunables.flush_interval_ms),
                ("U", self.tunables.user_flush_interval_ms),
            )
            if force or now - self._last_flush_ms[kind] >= interval
        }
        writes = [
            RowWrite(r.key, self.position, r.partial.to_doc(), self._ttl_s(r.key))
            for r in self.rows.values()
            if r.dirty and r.key.kind in due
        ]
        if self._pending_letters:
            self.stores.dead_letters.write(self._pending_letters)
            self._pending_letters = []
        if writes:
            self.stores.rows.save_rows(self.shard_id, writes)
            for w in writes:
                row = self.rows[w.key]
                row.first_dirty = None
        for kind in due:
            self._last_flush_ms[kind] = now
        self._evict()
        return self._safe_snapshot()

    def _safe_snapshot(self) -> ShardSnapshot | None:
        dirty = [r.first_dirty for r in self.rows.values() if r.first_dirty is not None]
        limit = min(dirty) if dirty else None
        safe = None
        while self._batch_ends and (limit is None or self._batch_ends[0].position < limit):
            safe = self._batch_ends.pop(0)
        return safe

    def _ttl_s(self, key: RowKey) -> int:
        size = WINDOW_SIZES[key.size]
        return (size.end_of(key.start_ms) + size.ttl_ms) // 1000

    def _evict(self) -> None:
        wm = self.watermark.value_ms
        for key in [
            k
            for k, r in self.rows.items()
            if not r.dirty and WINDOW_SIZES[k.size].end_of(k.start_ms) + WINDOW_SIZES[k.size].keep_after_end_ms < wm
        ]:
            del self.rows[key]

    def remember_checkpoint(self, snapshot: ShardSnapshot) -> None:
        """Persist watermark and counters for this position *before* the KCL checkpoint is taken."""
        self.stores.state.save_snapshot(self.app, self.shard_id, snapshot)

    @property
    def has_unflushed(self) -> bool:
        return bool(self._pending_letters) or any(r.dirty for r in self.rows.values())


def _row_from_store(key: RowKey, stored: StoredRow | None) -> RowState:
    if stored is None:
        partial: WindowPartial | UserPartial = WindowPartial() if key.kind == "W" else UserPartial()
        return RowState(key, partial, NO_POSITION)
    doc = stored.doc
    partial = WindowPartial.from_doc(doc) if key.kind == "W" else UserPartial.from_doc(doc)
    return RowState(key, partial, stored.fence)
