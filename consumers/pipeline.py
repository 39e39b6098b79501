"""One shard's pipeline: records in → decoded, de-duplicated, windowed, pre-aggregated → fenced rows out.

The KCL adapter (`kcl/processor.py`) calls `restore` once, then `process` per batch and `flush` after it; `flush`
returns the position that is safe to checkpoint: every record up to it is reflected in rows already written and
its dead letters are stored. See `sink/base.py` for why replays can neither drop nor double-count.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from consumers.aggregates.batch import MINUTE_MS, NO_LATE_LINES, FineBatch
from consumers.aggregates.dimensions import Signature, model_and_type
from consumers.aggregates.partials import UserPartial, WindowPartial, add_sums
from consumers.aggregates.pricing import PRICED_COST, UNPRICED_TOKENS
from consumers.config import Tunables
from consumers.decode.lines import Line
from consumers.decode.records import DecodedRecord, decode_record, read_lines
from consumers.model import DeadLetter, Position, SourceRecord
from consumers.sink.base import RowKey, RowWrite, ShardSnapshot, StoredRow, Stores, window_of
from consumers.windows.definitions import WINDOW_SIZES, WindowSize
from consumers.windows.routing import Router
from consumers.windows.watermark import Lateness, Watermark
from schemas.catalogue import TOKEN_USAGE
from schemas.emf import DataPoint, parse_line
from schemas.prices import PriceTable, load_prices

log = logging.getLogger(__name__)

NO_POSITION: Position = (-1, -1)
#: Records decoded and de-duplicated together (one conditional write per distinct batch fingerprint in a chunk);
#: ≈ 1.4 MB gzip'd, ≈ 25 MB decoded at most. The KCL hands over `maxRecords` (40) at a time anyway.
CLAIM_CHUNK = 50
#: A 1-minute window is published to CloudWatch once the watermark is this far past its end.
PUBLISH_GRACE_MS = 60_000


@dataclass(slots=True)
class RowState:
    key: RowKey
    partial: WindowPartial | UserPartial
    base_fence: Position  # the stored row already reflects records up to here
    first_dirty: Position | None = None  # first record applied since the last write
    published: bool = False  # this shard's part of a closed 1m window went to CloudWatch

    @property
    def dirty(self) -> bool:
        return self.first_dirty is not None


DEAD_LETTER_COUNTER = "dead_letters."


def dead_letters_by_reason(counters: dict[str, int]) -> dict[str, int]:
    """The `dead_letters.<reason>` counters of a shard snapshot, by reason."""
    return {k[len(DEAD_LETTER_COUNTER) :]: v for k, v in counters.items() if k.startswith(DEAD_LETTER_COUNTER)}


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
        if any(s.duration_ms % MINUTE_MS for s in self.sizes):
            raise ValueError("window sizes must be whole minutes (the fine pre-aggregation is per minute)")
        self.router = Router(self.sizes)
        #: Bucket count per window (`window_of` key): the one its stored rows were written with, else the setting.
        self._bucket_counts: dict[RowKey, int] = {}
        self._sig_prices: dict[Signature, float | None] = {}
        self.watermark = Watermark(self.tunables.allowed_lateness_ms, self.tunables.max_future_ms)
        self.counters = Counters()
        self.rows: dict[RowKey, RowState] = {}
        self.position: Position = NO_POSITION
        self._pending_letters: list[DeadLetter] = []
        self._batch_ends: list[ShardSnapshot] = []  # candidates for the next checkpoint, in order
        now = clock_ms()
        by_kind = {"W": self.tunables.flush_interval_ms, "U": self.tunables.user_flush_interval_ms}
        self._flush_interval_ms = {
            (kind, z.name): max(ms, self.tunables.size_flush_interval_ms.get(z.name, 0))
            for kind, ms in by_kind.items()
            for z in self.sizes
        }
        self._last_flush_ms = dict.fromkeys(self._flush_interval_ms, now)

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
        self._bucket_counts.clear()
        self._pending_letters.clear()
        self._batch_ends.clear()

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
        if seen:
            self._batch_ends.append(ShardSnapshot(self.position, self.watermark.value_ms, dict(self.counters.values)))
        if not counted:
            return
        if not self._rollup(fine, counted[0][0].position, counted[-1][0].position):
            # A reloaded row's fence falls inside this batch (only right after a restart): go record by record so
            # each row skips exactly the records it already holds. Records are decoded again (same lines, in order).
            for rec, late in counted:
                one = FineBatch()
                one.fold(read_lines(rec, decode_record(rec))[0], self._price_of, late)
                self._rollup(one, rec.position, rec.position)

    def _count_chunk(
        self, records: list[SourceRecord], fine: FineBatch, counted: list[tuple[SourceRecord, frozenset[int]]]
    ) -> bool:
        """Decode, de-duplicate and fold a chunk of records; False if every record was one we already hold."""
        opened: list[tuple[SourceRecord, DecodedRecord]] = []
        claims: dict[str, Position] = {}  # fingerprint → the first position carrying it
        for rec in records:
            if rec.position <= self.position:
                continue  # the KCL re-sent something we already hold in memory
            d = decode_record(rec)
            opened.append((rec, d))
            if d.kind == "data":
                claims.setdefault(d.fingerprint, rec.position)
        lost = self.stores.dedup.claim(self.shard_id, list(claims.items())) if claims else set()
        # A record is a duplicate when someone else owns its batch, or an earlier record of ours does.
        owner = {fp: pos for fp, pos in claims.items() if fp not in lost}

        for rec, d in opened:
            self.counters.add("records")
            self.position = rec.position
            if d.kind == "control":
                self.counters.add("control_messages")
                continue
            if d.kind == "data" and owner.get(d.fingerprint) != rec.position:
                self.counters.add("duplicate_records")
                self.counters.add("duplicate_events", d.event_count)
                continue
            self.counters.add("log_events", d.event_count)
            for dl in d.dead_letters:
                self._dead(dl)
            if d.kind != "data":
                continue
            lines, letters = read_lines(rec, d)
            for dl in letters:
                self._dead(dl)
            if not lines:
                continue
            late = self._screen_lateness(rec, d, lines)
            points = fine.fold(lines, self._price_of, late)
            if points:
                counted.append((rec, late))
                self.counters.add("points", points)
        return bool(opened)

    def _screen_lateness(self, rec: SourceRecord, d: DecodedRecord, lines: list[Line]) -> frozenset[int]:
        """Move the watermark over a record's lines; dead-letter late/future ones and return their indices.

        A record spans at most a minute or so of event time, so one check usually clears all of its lines at once;
        a record that straddles the lateness bound is classified line by line in order, as the policy defines it."""
        wm = self.watermark
        lo = min(line.timestamp_ms for line in lines)
        hi = max(line.timestamp_ms for line in lines)
        no_future = not rec.arrival_ms or hi <= rec.arrival_ms + wm.max_future_ms
        if no_future and lo >= max(wm.value_ms, hi) - wm.allowed_lateness_ms:
            wm.observe(hi)
            return NO_LATE_LINES
        late: set[int] = set()
        for line in lines:
            verdict = wm.classify(line.timestamp_ms, rec.arrival_ms)
            if verdict is Lateness.ON_TIME:
                wm.observe(line.timestamp_ms)
                continue
            late.add(line.index)
            event = d.events[line.index]
            for point in parse_line(event.message)[0]:
                self._dead(self._late_letter(rec, str(event.id), line.index, point, verdict))
        return frozenset(late)

    def _price_of(self, sig: Signature) -> float | None:
        """USD per token for a signature's (model, token type), or None when the price table has no price."""
        try:
            return self._sig_prices[sig]
        except KeyError:
            if len(self._sig_prices) > 100_000:
                self._sig_prices.clear()
            price = self._sig_prices[sig] = self.prices.price_per_token(*model_and_type(sig))
            return price

    def _rollup(self, fine: FineBatch, first: Position, last: Position) -> bool:
        """Add a fine batch covering records first..last to the rows; False (and nothing applied) if a row's
        fence lies strictly inside that range."""
        routes = self.router.route(fine, self._window_counts(fine))
        touched = routes.touched()
        self._load_missing(touched)
        rows = self.rows
        if any(first <= rows[k].base_fence < last for k in touched):
            return False
        live = {k for k in touched if rows[k].base_fence < first}  # rows that do not hold this batch yet
        for k in live:
            if rows[k].first_dirty is None:
                rows[k].first_dirty = first
        window_targets = {g: [rows[k].partial for k in keys if k in live] for g, keys in routes.window_rows.items()}
        user_targets = {g: [rows[k].partial for k in keys if k in live] for g, keys in routes.user_rows.items()}

        price_of = self._price_of
        for group, sig, sig_key, (sums, n) in routes.labels:
            targets: list[WindowPartial] = window_targets[group]  # type: ignore[assignment]
            if not targets:
                continue
            derived = None
            tokens = sums.get(TOKEN_USAGE)
            if tokens is not None:
                price = price_of(sig)
                derived = (UNPRICED_TOKENS, tokens) if price is None else (PRICED_COST, tokens * price)
            for partial in targets:
                partial.add_sums(sig_key, sums)
                if derived:
                    partial.add(sig_key, derived[0], derived[1])
                partial.points += n
        for ugroup, user, (sums, sessions) in routes.users:
            for upartial in user_targets[ugroup]:
                entry = upartial.entry(user)  # type: ignore[union-attr]
                add_sums(entry.sums, sums)
                entry.sessions |= sessions
        return True

    def _configured_buckets(self, window: RowKey) -> int:
        if window.kind == "U":
            return max(1, self.tunables.user_buckets)
        return max(1, self.tunables.window_buckets.get(window.size, 1))

    def _window_counts(self, fine: FineBatch) -> dict[tuple[str, int], tuple[int, ...]]:
        """Bucket counts of the windows the batch touches, per (kind, minute) and window size (`WindowCounts`).

        A window first touched in this process is looked up: with stored rows it keeps the count they were
        written with (a changed setting must not move a replayed record to a row that does not hold it yet);
        without rows it takes the current setting."""
        windows = {
            (kind, minute): tuple(RowKey(kind, z.name, z.start_of(minute)) for z in self.sizes)  # type: ignore[arg-type]
            for kind, keys in (("W", fine.labels), ("U", fine.users))
            for minute in {m for m, _ in keys}
        }
        known = self._bucket_counts
        wanted = {w for ws in windows.values() for w in ws if w not in known}
        if wanted:
            stored = self.stores.rows.bucket_counts(self.shard_id, sorted(wanted))
            for window in wanted:
                known[window] = stored.get(window) or self._configured_buckets(window)
        return {km: tuple(known[w] for w in ws) for km, ws in windows.items()}

    def _load_missing(self, keys: set[RowKey]) -> None:
        missing = [k for k in keys if k not in self.rows]
        if not missing:
            return
        stored = self.stores.rows.load_rows(self.shard_id, missing)
        for k in missing:
            self.rows[k] = _row_from_store(k, stored.get(k))

    def _dead(self, dl: DeadLetter) -> None:
        self._pending_letters.append(dl)
        self.counters.add(f"{DEAD_LETTER_COUNTER}{dl.reason}")

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
            kind_size
            for kind_size, interval in self._flush_interval_ms.items()
            if force or now - self._last_flush_ms[kind_size] >= interval
        }
        counts = self._bucket_counts
        writes = [
            RowWrite(
                r.key, self.position, r.partial.to_doc(), self._ttl_s(r.key), r.published, counts[window_of(r.key)]
            )
            for r in self.rows.values()
            if r.dirty and (r.key.kind, r.key.size) in due
        ]
        if self._pending_letters:
            self.stores.dead_letters.write(self._pending_letters)
            self._pending_letters = []
        if writes:
            self.stores.rows.save_rows(self.shard_id, writes)
            for w in writes:
                row = self.rows[w.key]
                row.first_dirty = None
            self.counters.add("rows_written", len(writes))
        for kind_size in due:
            self._last_flush_ms[kind_size] = now
        self._publish_closed_windows()
        self._evict()
        return self._safe_snapshot()

    def _publish_closed_windows(self) -> None:
        """Send each closed, written 1-minute window of this shard to CloudWatch once (claim first: at most once)."""
        publisher = self.stores.metrics
        if publisher is None:
            return
        closed_before = self.watermark.value_ms - PUBLISH_GRACE_MS
        for row in self.rows.values():
            key = row.key
            if key.kind != "W" or key.size != "1m" or row.published or row.dirty:
                continue
            empty = not cast(WindowPartial, row.partial).points  # a W row's partial
            if key.start_ms + MINUTE_MS > closed_before or (row.base_fence == NO_POSITION and empty):
                continue
            row.published = True
            if self.stores.rows.claim_publish(self.shard_id, key):  # type: ignore[attr-defined]
                publisher.publish_window(key.start_ms, row.partial, ratios=False)
                self.counters.add("windows_published")

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
        """Forget clean rows of windows long closed, and the bucket counts of windows with no row left in memory."""
        wm = self.watermark.value_ms

        def closed_long_ago(key: RowKey) -> bool:
            size = WINDOW_SIZES[key.size]
            return size.end_of(key.start_ms) + size.keep_after_end_ms < wm

        for key in [k for k, r in self.rows.items() if not r.dirty and closed_long_ago(k)]:
            del self.rows[key]
        kept = {window_of(k) for k in self.rows}
        for window in [w for w in self._bucket_counts if w not in kept and closed_long_ago(w)]:
            del self._bucket_counts[window]

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
    return RowState(key, partial, stored.fence, published=stored.published)
