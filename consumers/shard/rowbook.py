"""The exactly-once mechanics of one shard: its open rows, their fences, routing, limits and eviction.

Every row is an absolute partial of its shard up to its fence (`sink/base.py`). `RowBook.apply` adds a fine batch
covering records first..last to the rows it routes to, skipping rows that already hold it (a reloaded row whose
fence is at or after `last`) and refusing the batch when a fence falls strictly inside it (the caller then goes
record by record). `writes` turns the dirty rows of the due (kind, size) pairs into fenced writes; `first_dirty` is
the earliest record not yet written, which bounds the checkpoint.

Limits (deterministic, so a replay builds the same rows): a window row holds at most its share of
`max_groups_per_window` distinct signatures, later ones are added to the `__other__` group
(`limits.groups_overflow.<size>` counts their points); a user entry keeps at most `max_sessions_per_user` session
ids exactly, then a sketch (`limits.sessions_approximate.<size>` counts the users switched). Both depend only on the
records of the row in shard order, whatever the batch boundaries.

The limit counters are exact under replay too. After a restart the counters are those of the checkpoint's snapshot,
and a replayed record that a stored row already holds is skipped, so what it added to a limit must be counted
without applying it again: a skipped signature that is not among the stored row's signatures was folded into
`__other__` (a row's signatures only grow, and a folded one never gets in later); a user entry stores where it
switched to a sketch (`UserEntry.switched_at`: the very record that made it switch, which touches the row: a batch
in which some entry would switch is refused and applied record by record), and a row first loaded in this process
counts its switches at or after the first record this process applied (they came after the checkpoint) when the
replay reaches them, so every snapshot counts exactly the switches at or before its position.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from consumers.aggregates.batch import FineBatch
from consumers.aggregates.dimensions import Signature, other_key
from consumers.aggregates.partials import UserEntry, UserPartial, WindowPartial
from consumers.config import Tunables
from consumers.model import Position, RowKey, position_str, window_of
from consumers.retention import RetentionSettings
from consumers.shard.counters import LIMIT_COUNTER, Counters
from consumers.shard.routing import Router, Routes
from consumers.sink.base import RowStore, RowWrite, StoredRow
from consumers.windows.definitions import WINDOW_SIZES, WindowSize
from schemas.catalogue import TOKEN_USAGE

NO_POSITION: Position = (-1, -1)
Derive = Callable[[Signature, float], tuple[str, float]]


@dataclass(slots=True)
class RowState:
    key: RowKey
    partial: WindowPartial | UserPartial
    base_fence: Position  # the stored row already reflects records up to here
    first_dirty: Position | None = None  # first record applied since the last write
    published: bool = False  # this shard's part of a closed 1m window went to CloudWatch
    group_cap: int = 0  # W rows: distinct signatures kept before `__other__`
    other: str = ""  # W rows: the `__other__` signature key for this row's attributes

    @property
    def dirty(self) -> bool:
        return self.first_dirty is not None


class RowBook:
    def __init__(self, shard_id: str, store: RowStore, sizes: tuple[WindowSize, ...], tunables: Tunables) -> None:
        self.shard_id = shard_id
        self.store = store
        self.sizes = sizes
        self.tunables = tunables
        self.router = Router(sizes)
        self.rows: dict[RowKey, RowState] = {}
        #: Bucket count per window (`window_of` key): the one its stored rows were written with, else the setting.
        self.bucket_counts: dict[RowKey, int] = {}
        #: The first record this process applied (every record before it is in the restored counters).
        self.origin: Position | None = None
        #: Rows loaded or created in this process, until no record can reach their window: a reload after an
        #: eviction finds only switches this process already counted.
        self.seen: set[RowKey] = set()
        #: Sketch switches of stored rows that the restored counters lack, by row: counted when the replay reaches them.
        self.pending: dict[RowKey, list[str]] = {}

    # ------------------------------------------------------------------------------------------------ apply
    def apply(self, fine: FineBatch, first: Position, last: Position, derive: Derive, counters: Counters) -> bool:
        """Add a fine batch covering records first..last to the rows; False (and nothing applied) if a row's
        fence lies strictly inside that range."""
        if self.origin is None:
            self.origin = first
        routes = self.router.route(fine, self._window_counts(fine))
        touched = routes.touched()
        self._load_missing(touched, counters)
        rows = self.rows
        if any(first <= rows[k].base_fence < last for k in touched):
            return False
        live = {k for k in touched if rows[k].base_fence < first}  # rows that do not hold this batch yet
        limit = self.tunables.max_sessions_per_user
        if first < last and self._would_switch(routes, live, limit):
            return False  # record by record, so the switch is stored with the record that made it
        if self.pending:
            self._count_pending(touched, position_str(last), counters)
        for k in live:
            if rows[k].first_dirty is None:
                rows[k].first_dirty = first
        window_targets = {g: [rows[k] for k in keys if k in live] for g, keys in routes.window_rows.items()}
        user_targets = {g: [rows[k] for k in keys if k in live] for g, keys in routes.user_rows.items()}
        held = {g: [rows[k] for k in keys if k not in live] for g, keys in routes.window_rows.items()}

        # The two loops below run per (minute, signature) and (minute, user) of the batch and row size: the
        # partials' add_sums/entry are inlined (same operations, fewer calls; BENCHMARKS.md § Throughput).
        overflow: dict[str, int] = {}
        for group, sig, sig_key, (sums, n) in routes.labels:
            for row in held[group]:  # a replayed record this row holds: was it folded? (see the module docstring)
                if sig_key != row.other and sig_key not in row.partial.sigs:  # type: ignore[union-attr]
                    overflow[row.key.size] = overflow.get(row.key.size, 0) + n
            targets = window_targets[group]
            if not targets:
                continue
            tokens = sums.get(TOKEN_USAGE)
            derived = None if tokens is None else derive(sig, tokens)
            for row in targets:
                partial: WindowPartial = row.partial  # type: ignore[assignment]
                psigs = partial.sigs
                key = sig_key
                mine = psigs.get(key)
                if mine is None and key != row.other and len(psigs) >= row.group_cap:
                    key = row.other
                    overflow[row.key.size] = overflow.get(row.key.size, 0) + n
                    mine = psigs.get(key)
                if mine is None:
                    psigs[key] = mine = dict(sums)
                else:
                    for metric, v in sums.items():
                        mine[metric] = mine.get(metric, 0.0) + v
                if derived:
                    mine[derived[0]] = mine.get(derived[0], 0.0) + derived[1]
                partial.points += n
        at = position_str(last)
        for ugroup, user, (usums, sessions) in routes.users:
            for row in user_targets[ugroup]:
                entries = row.partial.users  # type: ignore[union-attr]
                entry = entries.get(user)
                if entry is None:
                    entry = entries[user] = UserEntry()
                esums = entry.sums
                for metric, v in usums.items():
                    esums[metric] = esums.get(metric, 0.0) + v
                if sessions and entry.add_sessions(sessions, limit, at):
                    counters.add(f"{LIMIT_COUNTER}sessions_approximate.{row.key.size}")
        for size, n in overflow.items():
            counters.add(f"{LIMIT_COUNTER}groups_overflow.{size}", n)
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
        known = self.bucket_counts
        wanted = {w for ws in windows.values() for w in ws if w not in known}
        if wanted:
            stored = self.store.bucket_counts(self.shard_id, sorted(wanted))
            for window in wanted:
                known[window] = stored.get(window) or self._configured_buckets(window)
        return {km: tuple(known[w] for w in ws) for km, ws in windows.items()}

    def _load_missing(self, keys: set[RowKey], counters: Counters) -> None:
        missing = [k for k in keys if k not in self.rows]
        if not missing:
            return
        stored = self.store.load_rows(self.shard_id, missing)
        for k in missing:
            row = self.rows[k] = self._row_from_store(k, stored.get(k))
            if k.kind == "U" and k not in self.seen and self.origin is not None:
                since = position_str(self.origin)
                users = row.partial.users.values()  # type: ignore[union-attr]
                switched = sorted(e.switched_at for e in users if e.sketch is not None and e.switched_at >= since)
                if switched:
                    self.pending[k] = switched
            self.seen.add(k)

    def _would_switch(self, routes: Routes, live: set[RowKey], limit: int) -> bool:
        """Some live user entry would pass `limit` session ids with this batch (cheap bound first, then exact)."""
        incoming: dict[str, int] = {}
        for _, user, (_, sessions) in routes.users:
            if sessions:
                incoming[user] = incoming.get(user, 0) + len(sessions)
        candidates: dict[tuple[RowKey, str], set[str]] = {}
        for ugroup, user, (_, sessions) in routes.users:
            if not sessions:
                continue
            for key in routes.user_rows[ugroup]:
                if key not in live:
                    continue
                entry = self.rows[key].partial.users.get(user)  # type: ignore[union-attr]
                held = 0 if entry is None else len(entry.sessions)
                if (entry is None or entry.sketch is None) and held + incoming[user] > limit:
                    ids = candidates.setdefault((key, user), set() if entry is None else set(entry.sessions))
                    ids |= sessions
                    if len(ids) > limit:
                        return True
        return False

    def _count_pending(self, touched: set[RowKey], last: str, counters: Counters) -> None:
        for key in [k for k in touched if k in self.pending]:
            waiting = self.pending[key]
            reached = [s for s in waiting if s <= last]
            if reached:
                counters.add(f"{LIMIT_COUNTER}sessions_approximate.{key.size}", len(reached))
                waiting[:] = [s for s in waiting if s > last]
            if not waiting:
                del self.pending[key]

    def _row_from_store(self, key: RowKey, stored: StoredRow | None) -> RowState:
        if key.kind == "W":
            buckets = self.bucket_counts.get(window_of(key)) or 1
            cap = -(-self.tunables.max_groups_per_window // buckets)  # this row's share, rounded up
            partial = WindowPartial() if stored is None else WindowPartial.from_doc(stored.doc)
            if stored is None:
                return RowState(key, partial, NO_POSITION, group_cap=cap, other=other_key(partial.attrs))
            return RowState(
                key, partial, stored.fence, published=stored.published, group_cap=cap, other=other_key(partial.attrs)
            )
        upartial = UserPartial() if stored is None else UserPartial.from_doc(stored.doc)
        if stored is None:
            return RowState(key, upartial, NO_POSITION)
        return RowState(key, upartial, stored.fence, published=stored.published)

    # ------------------------------------------------------------------------------------------------ writes
    def writes(self, due: set[tuple[str, str]], position: Position) -> list[RowWrite]:
        """Fenced writes (at `position`, the last record applied) of the dirty rows of the due (kind, size)."""
        counts = self.bucket_counts
        retention = self.tunables.retention
        return [
            RowWrite(
                r.key, position, r.partial.to_doc(), ttl_s(r.key, retention), r.published, counts[window_of(r.key)]
            )
            for r in self.rows.values()
            if r.dirty and (r.key.kind, r.key.size) in due
        ]

    def mark_written(self, writes: list[RowWrite]) -> None:
        for w in writes:
            self.rows[w.key].first_dirty = None

    def first_dirty(self) -> Position | None:
        """The earliest record some row holds in memory only (nothing at or after it may be checkpointed)."""
        dirty = [r.first_dirty for r in self.rows.values() if r.first_dirty is not None]
        return min(dirty) if dirty else None

    @property
    def dirty(self) -> bool:
        return any(r.dirty for r in self.rows.values())

    # ------------------------------------------------------------------------------------------------ memory
    def evict(self, watermark_ms: int) -> None:
        """Forget clean rows of windows long closed, and the bucket counts of windows with no row left in memory."""

        def closed_long_ago(key: RowKey) -> bool:
            size = WINDOW_SIZES[key.size]
            return size.end_of(key.start_ms) + size.keep_after_end_ms < watermark_ms

        for key in [k for k, r in self.rows.items() if not r.dirty and closed_long_ago(k)]:
            del self.rows[key]
        kept = {window_of(k) for k in self.rows}
        for window in [w for w in self.bucket_counts if w not in kept and closed_long_ago(w)]:
            del self.bucket_counts[window]
        # A window no record can reach any more (it ended more than the allowed lateness ago) is never reloaded.
        lateness = self.tunables.allowed_lateness_ms
        for key in [k for k in self.seen if k not in self.rows]:
            if WINDOW_SIZES[key.size].end_of(key.start_ms) + lateness < watermark_ms:
                self.seen.discard(key)

    def drop(self) -> None:
        self.rows.clear()
        self.bucket_counts.clear()
        self.seen.clear()
        self.pending.clear()
        self.origin = None


def ttl_s(key: RowKey, retention: RetentionSettings | None = None) -> int:
    """Expiry (epoch s) of a row: its window's end + the retention of its kind and size."""
    size = WINDOW_SIZES[key.size]
    return (size.end_of(key.start_ms) + (retention or RetentionSettings()).row_ttl_ms(key.kind, key.size)) // 1000
