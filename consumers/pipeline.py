"""One shard's pipeline: records in → decoded, de-duplicated, screened, pre-aggregated → fenced rows out.

A thin orchestrator over one module per job (`consumers/shard/`): decode (`decode/`), lateness screening
(`windows/lateness.py`, pure), pricing (`aggregates/pricing.py`), rows, fences, routing, limits and eviction
(`shard/rowbook.py`), the flush schedule and the checkpoint tracker (`shard/checkpoints.py`), and the closed-window
publisher (`shard/publisher.py`).

The KCL adapter (`kcl/processor.py`) calls `restore` once, then `process` per batch and `flush` after it; `flush`
returns the position that is safe to checkpoint: every record up to it is reflected in rows already written and
its dead letters are stored. See `sink/base.py` for why replays can neither drop nor double-count.

A record that cannot be decoded or read for any reason of its own (not a store failure) becomes a dead letter
(`poison_record`) and the shard moves on; store failures propagate (the caller retries transient ones).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import msgspec

from consumers.aggregates.batch import MINUTE_MS, NO_LATE_LINES, FineBatch
from consumers.aggregates.pricing import Pricer
from consumers.config import Tunables
from consumers.decode.lines import Line
from consumers.decode.native import read_fold
from consumers.decode.records import DecodedRecord, decode_record, env_limits, line_points, read_lines
from consumers.model import DeadLetter, Position, RowKey, SourceRecord, letter_of
from consumers.native import on_by_default
from consumers.shard.checkpoints import CheckpointTracker, FlushSchedule
from consumers.shard.counters import Counters, dead_letters_by_reason
from consumers.shard.letters import POISON_REASON, PendingLetters, poison_letter, saved_snapshot
from consumers.shard.publisher import PUBLISH_GRACE_MS, ClosedWindowPublisher
from consumers.shard.rowbook import NO_POSITION, RowBook, RowState
from consumers.sink.base import ShardSnapshot, Stores
from consumers.windows.definitions import WINDOW_SIZES, WindowSize
from consumers.windows.lateness import screen
from consumers.windows.watermark import Lateness, Watermark
from schemas.prices import PriceTable, load_prices

log = logging.getLogger(__name__)

__all__ = [
    "CLAIM_CHUNK",
    "NO_POSITION",
    "POISON_REASON",
    "PUBLISH_GRACE_MS",
    "Counters",
    "RowState",
    "ShardPipeline",
    "dead_letters_by_reason",
]

#: Records decoded and de-duplicated together (one conditional write per distinct batch fingerprint in a chunk);
#: ≈ 1.4 MB gzip'd, ≈ 25 MB decoded at most. The KCL hands over `maxRecords` (40) at a time anyway.
CLAIM_CHUNK = 50


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
        native: bool | None = None,
    ) -> None:
        self.app = app
        #: use the native core (`consumers/native`; None: when built, unless `CCSTREAM_NATIVE=0`)
        self.native = native
        self.shard_id = shard_id
        self.stores = stores
        self.tunables = tunables or Tunables()
        self.clock_ms = clock_ms
        self.pricer = Pricer(prices or load_prices())
        self.sizes: tuple[WindowSize, ...] = tuple(WINDOW_SIZES[n] for n in self.tunables.window_sizes)
        if any(s.duration_ms % MINUTE_MS for s in self.sizes):
            raise ValueError("window sizes must be whole minutes (the fine pre-aggregation is per minute)")
        self.book = RowBook(shard_id, stores.rows, self.sizes, self.tunables)
        self.watermark = Watermark(self.tunables.allowed_lateness_ms, self.tunables.max_future_ms)
        self.counters = Counters()
        self.position: Position = NO_POSITION
        self.schedule = FlushSchedule(self.tunables, (z.name for z in self.sizes), clock_ms())
        self.tracker = CheckpointTracker()
        self.publisher = (
            None
            if stores.metrics is None
            else ClosedWindowPublisher(shard_id, stores.rows, stores.metrics, self.counters)  # type: ignore[arg-type]
        )
        self._pending_letters = PendingLetters(self.counters)

    @property
    def rows(self) -> dict[RowKey, RowState]:
        """The open rows by key (`RowBook.rows`)."""
        return self.book.rows

    # ----------------------------------------------------------------------------------------------- lifecycle
    def restore(self, checkpoint: Position | None) -> None:
        """Resume watermark and counters exactly as they were at the KCL checkpoint we restart from."""
        if checkpoint is None:
            return
        snap = saved_snapshot(self.stores.state, self.app, self.shard_id, checkpoint)
        if snap is not None:
            self.watermark.value_ms = snap.watermark_ms
            self.counters.values = dict(snap.counters)
            self.position = checkpoint

    def drop(self) -> None:
        """Lease lost: forget everything in memory (the next owner replays from the checkpoint)."""
        self.book.drop()
        self._pending_letters.clear()
        self.tracker.clear()

    # ----------------------------------------------------------------------------------------------- processing
    def process(self, records: list[SourceRecord]) -> None:
        """Count a batch of records into the rows (in memory; `flush` writes them).

        Records are decoded and de-duplicated in chunks of `CLAIM_CHUNK`, so the decoded text of at most one chunk
        is alive at a time whatever the batch size; the whole batch is pre-aggregated into one fine batch."""
        fine = FineBatch()
        counted: list[tuple[SourceRecord, frozenset[int]]] = []  # with the indices of its late lines
        seen = False
        for start in range(0, len(records), CLAIM_CHUNK):
            seen |= self._count_chunk(records[start : start + CLAIM_CHUNK], fine, counted)
        derive, book = self.pricer.derive, self.book
        if counted and not book.apply(fine, counted[0][0].position, counted[-1][0].position, derive, self.counters):
            # A reloaded row's fence falls inside this batch (only right after a restart): go record by record so
            # each row skips exactly the records it already holds. Records are decoded again (same lines, in order).
            for rec, late in counted:
                one = FineBatch()
                lines = read_lines(rec, decode_record(rec), native=self.native)[0]
                one.fold(lines, derive, late, native=self.native)
                book.apply(one, rec.position, rec.position, derive, self.counters)
        if seen:  # after the roll-up, so the snapshot's counters include the limits this batch reached
            self.tracker.batch_end(ShardSnapshot(self.position, self.watermark.value_ms, dict(self.counters.values)))

    def _count_chunk(
        self, records: list[SourceRecord], fine: FineBatch, counted: list[tuple[SourceRecord, frozenset[int]]]
    ) -> bool:
        """Decode, de-duplicate and fold a chunk of records; False if every record was one we already hold."""
        opened: list[tuple[SourceRecord, DecodedRecord | None]] = []
        claims: dict[str, Position] = {}  # fingerprint → the first position carrying it
        for rec in records:
            if rec.position <= self.position:
                continue  # the KCL re-sent something we already hold in memory
            d = self._decode(rec)
            opened.append((rec, d))
            if d is not None and d.kind == "data":
                claims.setdefault(d.fingerprint, rec.position)
        lost = self.stores.dedup.claim(self.shard_id, list(claims.items())) if claims else set()
        # A record is a duplicate when someone else owns its batch, or an earlier record of ours does.
        owner = {fp: pos for fp, pos in claims.items() if fp not in lost}

        for rec, d in opened:
            self.counters.add("records")
            self.position = rec.position
            if d is None:
                continue  # poison: dead-lettered by `_decode`
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
            late = NO_LATE_LINES
            points = self._read_fold(rec, d, fine)  # the native core, when the record is ordinary and on time
            if points is None:
                read = self._read(rec, d)
                if read is None:
                    continue
                lines, letters = read  # a data record's own letters (events_limited) are among them
                for dl in letters:
                    self._dead(dl)
                if not lines:
                    continue
                late = self._screen(rec, d, lines)
                points = fine.fold(lines, self.pricer.derive, late, native=self.native)
            if points:
                counted.append((rec, late))
                self.counters.add("points", points)
        return bool(opened)

    def _read_fold(self, rec: SourceRecord, d: DecodedRecord, fine: FineBatch) -> int | None:
        """Read, screen and fold a data record in one native call (`decode.native.read_fold`): the points folded, or
        None when the native core is off or the record needs the line-by-line path (an unusual or late line)."""
        if not (on_by_default() if self.native is None else self.native):
            return None
        wm = self.watermark
        lateness = (rec.arrival_ms, wm.value_ms, wm.allowed_lateness_ms, wm.max_future_ms)
        folded = read_fold(d.messages, env_limits().line, fine.labels, fine.users, self.pricer.derive, lateness)
        if folded is None:
            return None
        points, wm.value_ms = folded
        for dl in d.dead_letters:  # events_limited, as `read_lines` would have returned it
            self._dead(dl)
        return points

    def _decode(self, rec: SourceRecord) -> DecodedRecord | None:
        try:
            return decode_record(rec)
        except Exception as exc:  # no input may stop the shard: quarantine the record, move on
            self._poison(rec, "decode", exc)
            return None

    def _read(self, rec: SourceRecord, d: DecodedRecord) -> tuple[list[Line], list[DeadLetter]] | None:
        try:
            return read_lines(rec, d, native=self.native)
        except Exception as exc:
            self._poison(rec, "read_lines", exc)
            return None

    def _poison(self, rec: SourceRecord, stage: str, exc: Exception) -> None:
        self._dead(poison_letter(rec, stage, exc))

    def _screen(self, rec: SourceRecord, d: DecodedRecord, lines: list[Line]) -> frozenset[int]:
        """Move the watermark over a record's lines; dead-letter late/future ones and return their indices."""
        wm = self.watermark
        before = wm.value_ms
        wm.value_ms, late = screen(lines, rec.arrival_ms, before, wm.allowed_lateness_ms, wm.max_future_ms)
        if not late:
            return NO_LATE_LINES
        for index, verdict in late.items():
            event = d.events[index]
            for point in line_points(event):  # timed by the log event where the line has no _aws
                self._dead(self._late_letter(rec, str(event.id), index, point, verdict, before))
        return frozenset(late)

    def _dead(self, dl: DeadLetter) -> None:
        self._pending_letters.add(dl)

    def _late_letter(
        self, rec: SourceRecord, event_id: str, index: int, point: object, verdict: Lateness, watermark_ms: int
    ) -> DeadLetter:
        ts = point.timestamp_ms  # type: ignore[attr-defined]
        return letter_of(
            rec,
            verdict.value,
            f"event {ts} vs watermark {watermark_ms} / arrival {rec.arrival_ms}",
            index,
            msgspec.json.encode(point).decode(),
            log_event_id=event_id,
            metric=point.metric,  # type: ignore[attr-defined]
            event_timestamp_ms=ts,
        )

    # ----------------------------------------------------------------------------------------------- flushing
    def flush(self, force: bool = False) -> ShardSnapshot | None:
        """Write the rows that are due (all dirty rows with `force`); return the snapshot of the position that is
        now safe to checkpoint, if a new one is."""
        now = self.clock_ms()
        due = self.schedule.due(now, force)
        writes = self.book.writes(due, self.position)
        self._pending_letters.write(self.stores.dead_letters)
        if writes:
            self.stores.rows.save_rows(self.shard_id, writes)
            self.book.mark_written(writes)
            self.counters.add("rows_written", len(writes))
        self.schedule.flushed(due, now)
        if self.publisher is not None:
            self.publisher.publish(self.book.rows.values(), self.watermark.value_ms)
        self.book.evict(self.watermark.value_ms)
        return self.tracker.safe(self.book.first_dirty())

    def remember_checkpoint(self, snapshot: ShardSnapshot) -> None:
        """Persist watermark and counters for this position *before* the KCL checkpoint is taken."""
        self.stores.state.save_snapshot(self.app, self.shard_id, snapshot)

    @property
    def has_unflushed(self) -> bool:
        return bool(self._pending_letters) or self.book.dirty

    @property
    def needs_idle_flush(self) -> bool:
        """Something is held in memory only, or a processed position is not checkpointed yet."""
        return self.has_unflushed or self.tracker.pending
