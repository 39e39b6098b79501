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

from consumers.aggregates.batch import FineBatch
from consumers.aggregates.dimensions import Signature, model_and_type, signature_key, signature_of
from consumers.aggregates.partials import UserPartial, WindowPartial
from consumers.aggregates.pricing import derived_values
from consumers.config import Tunables
from consumers.decode.records import decode_record
from consumers.model import DeadLetter, Position, SourceRecord
from consumers.sink.base import RowKey, RowWrite, ShardSnapshot, StoredRow, Stores
from consumers.windows.definitions import WINDOW_SIZES, WindowSize
from consumers.windows.watermark import Lateness, Watermark
from schemas.catalogue import TOKEN_USAGE, user_key
from schemas.emf import DataPoint
from schemas.prices import PriceTable, load_prices

log = logging.getLogger(__name__)

NO_POSITION: Position = (-1, -1)
MINUTE_MS = 60_000
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
        self._buckets: dict[str, int] = {}
        self._sig_hashes: dict[str, int] = {}
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
        claims: dict[str, Position] = {}  # fingerprint → the first position carrying it in this batch
        for rec in records:
            if rec.position <= self.position:
                continue  # the KCL re-sent something we already hold in memory
            d = decode_record(rec)
            decoded.append((rec, d))
            if d.kind == "data":
                claims.setdefault(d.fingerprint, rec.position)
        lost = self.stores.dedup.claim(self.shard_id, list(claims.items())) if claims else set()
        # A record is a duplicate when someone else owns its batch, or an earlier record of this batch does.
        owner = {fp: pos for fp, pos in claims.items() if fp not in lost}

        accepted: list[tuple[Position, list[DataPoint]]] = []
        for rec, d in decoded:
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
            points: list[DataPoint] = []
            for ev in d.events:
                for point in ev.points:
                    verdict = self.watermark.classify(point.timestamp_ms, rec.arrival_ms)
                    if verdict is not Lateness.ON_TIME:
                        self._dead(self._late_letter(rec, ev.log_event_id, ev.index, point, verdict))
                        continue
                    self.watermark.observe(point.timestamp_ms)
                    points.append(point)
            if points:
                accepted.append((rec.position, points))
                self.counters.add("points", len(points))
        if decoded:
            self._batch_ends.append(ShardSnapshot(self.position, self.watermark.value_ms, dict(self.counters.values)))
        if not accepted:
            return
        if not self._rollup(self._fine(accepted), accepted[0][0], accepted[-1][0]):
            # A reloaded row's fence falls inside this batch (only right after a restart): go record by record so
            # each row skips exactly the records it already holds.
            for pos, points in accepted:
                self._rollup(self._fine([(pos, points)]), pos, pos)

    def _fine(self, accepted: list[tuple[Position, list[DataPoint]]]) -> FineBatch:
        fine = FineBatch()
        add, add_user = fine.add, fine.add_user_only
        last_attrs: dict[str, str] | None = None
        sig: Signature = ()
        user: str | None = None
        session: str | None = None
        for _, points in accepted:
            for p in points:
                ts = p.timestamp_ms
                minute = ts - ts % MINUTE_MS
                attrs = p.attributes
                if attrs is not last_attrs:  # the points of one EMF line share their attributes
                    last_attrs = attrs
                    sig = signature_of(attrs)
                    user = user_key(attrs)
                    session = attrs.get("session.id")
                add(minute, sig, user, session, p.metric, p.value)
                if user is not None and p.metric == TOKEN_USAGE:
                    derived = derived_values(self.prices, p.metric, p.value, attrs)
                    if derived:
                        add_user(minute, user, derived[0], derived[1])
        return fine

    def _rollup(self, fine: FineBatch, first: Position, last: Position) -> bool:
        """Add a fine batch covering records first..last to the rows; False (and nothing applied) if a row's
        fence lies strictly inside that range."""
        sizes = self.sizes
        sig_keys = {sig: signature_key(sig) for _, sig in fine.labels}
        w_bucket = self._window_bucket
        w_keys = {
            (m, sig): [RowKey("W", z.name, z.start_of(m), w_bucket(sig_keys[sig], z.name)) for z in sizes]
            for m, sig in fine.labels
        }
        bucket_of = self._bucket_of
        user_buckets = {(m, user): (m, bucket_of(user)) for m, user in fine.users}
        u_keys = {
            mb: [RowKey("U", z.name, z.start_of(mb[0]), mb[1]) for z in sizes] for mb in set(user_buckets.values())
        }
        touched = {k for ks in w_keys.values() for k in ks} | {k for ks in u_keys.values() for k in ks}
        self._load_missing(touched)
        rows = self.rows
        if any(first <= rows[k].base_fence < last for k in touched):
            return False
        live = {k for k in touched if rows[k].base_fence < first}
        for k in live:
            if rows[k].first_dirty is None:
                rows[k].first_dirty = first

        for (minute, sig), (sums, n) in fine.labels.items():
            sig_key = sig_keys[sig]
            derived = None
            tokens = sums.get(TOKEN_USAGE)
            if tokens is not None:
                model, typ = model_and_type(sig)
                derived = derived_values(self.prices, TOKEN_USAGE, tokens, {"model": model, "type": typ})
            for key in w_keys[(minute, sig)]:
                if key in live:
                    partial: WindowPartial = rows[key].partial  # type: ignore[assignment]
                    partial.add_sums(sig_key, sums)
                    if derived:
                        partial.add(sig_key, derived[0], derived[1])
                    partial.points += n
        for (minute, user), (sums, sessions) in fine.users.items():
            for key in u_keys[user_buckets[(minute, user)]]:
                if key in live:
                    entry = rows[key].partial.entry(user)  # type: ignore[union-attr]
                    for metric, v in sums.items():
                        entry.sums[metric] = entry.sums.get(metric, 0.0) + v
                    entry.sessions |= sessions
        return True

    def _window_bucket(self, sig_key: str, size: str) -> int:
        n = self.tunables.window_buckets.get(size, 1)
        if n <= 1:
            return 0
        h = self._sig_hashes.get(sig_key)
        if h is None:
            if len(self._sig_hashes) > 200_000:
                self._sig_hashes.clear()
            h = self._sig_hashes[sig_key] = zlib.crc32(sig_key.encode())
        return h % n

    def _bucket_of(self, user: str) -> int:
        b = self._buckets.get(user)
        if b is None:
            if len(self._buckets) > 1_000_000:
                self._buckets.clear()
            b = self._buckets[user] = zlib.crc32(user.encode()) % self.tunables.user_buckets
        return b

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
            kind
            for kind, interval in (
                ("W", self.tunables.flush_interval_ms),
                ("U", self.tunables.user_flush_interval_ms),
            )
            if force or now - self._last_flush_ms[kind] >= interval
        }
        writes = [
            RowWrite(r.key, self.position, r.partial.to_doc(), self._ttl_s(r.key), r.published)
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
            self.counters.add("rows_written", len(writes))
        for kind in due:
            self._last_flush_ms[kind] = now
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
            if key.start_ms + MINUTE_MS > closed_before or (row.base_fence == NO_POSITION and not row.partial.points):
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
    return RowState(key, partial, stored.fence, published=stored.published)
