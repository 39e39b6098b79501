"""One events shard's pipeline: records of the events stream in → decoded, de-duplicated, screened, folded → fenced
event rows out. The events twin of `pipeline.py`, built from the same parts by composition (dedup markers, the
lateness screen and watermark, shard snapshots, the checkpoint tracker, dead letters, the fenced row store), with
its own decoder (`decode/events.py`), aggregates (`aggregates/events.py`) and rows (`shard/eventbook.py`). It shares
nothing in memory with the metrics pipeline and runs in its own KCL application on its own stream, so events never
disturb the metrics path.

Interface as `ShardPipeline`: `restore`, `process`, `flush` (returns the snapshot safe to checkpoint),
`remember_checkpoint`, `drop`, `counters`, `has_unflushed`, `needs_idle_flush`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from consumers.aggregates.events import EventPartial, keyed_by_person
from consumers.config import Tunables
from consumers.decode.events import Event, event_letter, read_events
from consumers.decode.limits import DecodeLimits
from consumers.decode.records import DecodedRecord, decode_record, env_limits
from consumers.lake.events import EventsLake
from consumers.model import DeadLetter, Position, RowKey, SourceRecord
from consumers.pipeline import CLAIM_CHUNK, wall_clock_ms
from consumers.shard.checkpoints import CheckpointTracker, FlushSchedule
from consumers.shard.counters import Counters
from consumers.shard.eventbook import EVENT_KIND, EventBook, user_bucket
from consumers.shard.letters import PendingLetters, poison_letter, saved_snapshot
from consumers.shard.rowbook import NO_POSITION
from consumers.sink.base import ShardSnapshot, Stores
from consumers.windows.definitions import WINDOW_SIZES, WindowSize
from consumers.windows.lateness import screen
from consumers.windows.watermark import Watermark

log = logging.getLogger(__name__)

#: `CCSTREAM_EVENTS_KEEP_LENGTHS=1` keeps prompt/response/tool sizes (never content); off by default.
KEEP_LENGTHS_ENV = "CCSTREAM_EVENTS_KEEP_LENGTHS"


def keep_lengths_from_env() -> bool:
    return os.environ.get(KEEP_LENGTHS_ENV, "0").strip().lower() in ("1", "true", "yes")


def fold_events(events: list[Event], sizes: tuple[WindowSize, ...]) -> dict[RowKey, EventPartial]:
    """Per-row partials of some events, folded in event order (so the group limit, applied when they are merged into
    the rows, sees new groups in shard order whatever the batch boundaries). Families keyed by the person go to the
    window's user row of that person (`user_bucket`), the others to its bucket-0 row."""
    fine: dict[RowKey, EventPartial] = {}
    for e in events:
        bucket = user_bucket(e.user) if keyed_by_person(e.name) else 0
        for z in sizes:
            start = e.timestamp_ms - e.timestamp_ms % z.duration_ms
            rows = [(RowKey(EVENT_KIND, z.name, start), False)]
            if bucket:
                rows.append((RowKey(EVENT_KIND, z.name, start, bucket), True))
            for key, per_user in rows:
                p = fine.get(key)
                if p is None:
                    p = fine[key] = EventPartial()
                p.fold(e, per_user)
    return fine


class EventsPipeline:
    def __init__(
        self,
        app: str,
        shard_id: str,
        stores: Stores,
        tunables: Tunables | None = None,
        clock_ms: Callable[[], int] = wall_clock_ms,
        limits: DecodeLimits | None = None,
        keep_lengths: bool | None = None,
        lake: EventsLake | None = None,
    ) -> None:
        self.app = app
        self.shard_id = shard_id
        self.stores = stores
        self.tunables = tunables or Tunables()
        self.clock_ms = clock_ms
        self.limits = limits or env_limits()
        self.keep_lengths = keep_lengths_from_env() if keep_lengths is None else keep_lengths
        self.sizes: tuple[WindowSize, ...] = tuple(WINDOW_SIZES[n] for n in self.tunables.window_sizes)
        self.book = EventBook(shard_id, stores.rows, self.tunables)
        self.watermark = Watermark(self.tunables.allowed_lateness_ms, self.tunables.max_future_ms)
        self.counters = Counters()
        self.position: Position = NO_POSITION
        # Event rows follow the window rows' intervals (W): 1m fresh every second, 1h/1d at their size interval.
        self.schedule = FlushSchedule(self.tunables, (z.name for z in self.sizes), clock_ms())
        self.tracker = CheckpointTracker()
        self._pending_letters = PendingLetters(self.counters)
        #: The events table's writer (None: no lake rows, e.g. in unit tests of the aggregates).
        self.lake = lake

    # ----------------------------------------------------------------------------------------------- lifecycle
    def restore(self, checkpoint: Position | None) -> None:
        if checkpoint is None:
            return
        snap = saved_snapshot(self.stores.state, self.app, self.shard_id, checkpoint)
        if snap is not None:
            self.watermark.value_ms = snap.watermark_ms
            self.counters.values = dict(snap.counters)
            self.position = checkpoint

    def drop(self) -> None:
        self.book.drop()
        if self.lake is not None:
            self.lake.drop()
        self._pending_letters.clear()
        self.tracker.clear()

    # ----------------------------------------------------------------------------------------------- processing
    def process(self, records: list[SourceRecord]) -> None:
        counted: list[tuple[SourceRecord, list[Event]]] = []  # each counted record with its on-time events
        seen = False
        for start in range(0, len(records), CLAIM_CHUNK):
            seen |= self._count_chunk(records[start : start + CLAIM_CHUNK], counted)
        if counted:
            fine = fold_events([e for _, events in counted for e in events], self.sizes)
            if not self.book.apply(fine, counted[0][0].position, counted[-1][0].position, self.counters):
                # A reloaded row's fence lies inside this batch (right after a restart): record by record, so
                # each row skips exactly the records it already holds.
                for rec, events in counted:
                    self.book.apply(fold_events(events, self.sizes), rec.position, rec.position, self.counters)
        if seen:
            self.tracker.batch_end(ShardSnapshot(self.position, self.watermark.value_ms, dict(self.counters.values)))

    def _count_chunk(self, records: list[SourceRecord], counted: list[tuple[SourceRecord, list[Event]]]) -> bool:
        opened: list[tuple[SourceRecord, DecodedRecord | None]] = []
        claims: dict[str, Position] = {}
        for rec in records:
            if rec.position <= self.position:
                continue
            d = self._decode(rec)
            opened.append((rec, d))
            if d is not None and d.kind == "data":
                claims.setdefault(d.fingerprint, rec.position)
        lost = self.stores.dedup.claim(self.shard_id, list(claims.items())) if claims else set()
        owner = {fp: pos for fp, pos in claims.items() if fp not in lost}
        for rec, d in opened:
            self.counters.add("records")
            self.position = rec.position
            if d is None:
                continue
            if d.kind == "control":
                self.counters.add("control_messages")
                continue
            if d.kind == "data" and owner.get(d.fingerprint) != rec.position:
                self.counters.add("duplicate_records")
                self.counters.add("duplicate_events", d.event_count)
                continue
            self.counters.add("log_events", d.event_count)
            if d.kind != "data":
                for dl in d.dead_letters:
                    self._dead(dl)
                continue
            try:
                events, letters = read_events(rec, d, self.limits, self.keep_lengths)
            except Exception as exc:  # no input may stop the shard
                self._poison(rec, "read_events", exc)
                continue
            for dl in letters:
                self._dead(dl)
            if not events:
                continue
            late = self._screen(rec, d, events)
            on_time = [e for e in events if e.index not in late] if late else events
            if self.lake is not None:
                self.lake.add(rec.position, d.log_stream, on_time, d.events, self.clock_ms())
            if on_time:
                counted.append((rec, on_time))
                self.counters.add("events", len(on_time))
        return bool(opened)

    def _decode(self, rec: SourceRecord) -> DecodedRecord | None:
        try:
            return decode_record(rec, self.limits)
        except Exception as exc:
            self._poison(rec, "decode", exc)
            return None

    def _poison(self, rec: SourceRecord, stage: str, exc: Exception) -> None:
        self._dead(poison_letter(rec, stage, exc))

    def _screen(self, rec: SourceRecord, d: DecodedRecord, events: list[Event]) -> frozenset[int]:
        wm = self.watermark
        before = wm.value_ms
        wm.value_ms, late = screen(events, rec.arrival_ms, before, wm.allowed_lateness_ms, wm.max_future_ms)  # type: ignore[arg-type]
        for index, verdict in late.items():
            detail = f"event {d.events[index].timestamp} vs watermark {before} / arrival {rec.arrival_ms}"
            self._dead(event_letter(rec, d.events[index], index, verdict.value, detail))
        return frozenset(late)

    def _dead(self, dl: DeadLetter) -> None:
        self._pending_letters.add(dl)

    # ----------------------------------------------------------------------------------------------- flushing
    def flush(self, force: bool = False) -> ShardSnapshot | None:
        now = self.clock_ms()
        due = self.schedule.due(now, force)
        writes = self.book.writes(due, self.position)
        self._pending_letters.write(self.stores.dead_letters)
        if writes:
            self.stores.rows.save_rows(self.shard_id, writes)
            self.book.mark_written(writes)
            self.counters.add("rows_written", len(writes))
        self.schedule.flushed(due, now)
        lake = self.lake
        if lake is not None and (force or lake.due(now)):
            lake.write()
        self.book.evict(self.watermark.value_ms)
        held = [p for p in (self.book.first_dirty(), None if lake is None else lake.first_pending) if p is not None]
        return self.tracker.safe(min(held) if held else None)

    def remember_checkpoint(self, snapshot: ShardSnapshot) -> None:
        self.stores.state.save_snapshot(self.app, self.shard_id, snapshot)

    @property
    def has_unflushed(self) -> bool:
        lake_rows = self.lake is not None and bool(self.lake.rows)
        return bool(self._pending_letters) or self.book.dirty or lake_rows

    @property
    def needs_idle_flush(self) -> bool:
        return self.has_unflushed or self.tracker.pending
