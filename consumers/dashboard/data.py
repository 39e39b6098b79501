"""What the widgets read: merged window and user partials for a time range, each stored row read at most once.

One `DashboardData` serves one page render (or one Lambda invocation). It reads rows through a `RowReader`
(DynamoDB's indexes, or memory in tests) and keeps them per (kind, size), so twenty widgets asking for overlapping
spans cost one read per span. Every shard's and bucket's partial of a window is merged when a widget asks for the
window; over-time charts instead ask for `window_groups`, sums grouped straight from the stored rows, which skips
the merge (the costly part at a point per minute for thousands of users).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from consumers.aggregates.dimensions import GROUPABLE_ATTRIBUTES, VALUE_SEPARATOR
from consumers.aggregates.partials import Sums, UserEntry, UserPartial, WindowPartial
from consumers.aggregates.sessions import load_sketch
from consumers.dashboard.timerange import TimeRange
from consumers.query.reader import RowReader
from consumers.windows.definitions import WINDOW_SIZES


@dataclass
class _Span:
    """The rows of one (kind, size) read so far: documents by window start, and windows merged on demand."""

    from_ms: int
    to_ms: int
    docs: dict[int, list[dict[str, Any]]]
    merged: dict[int, WindowPartial | UserPartial] = field(default_factory=dict)
    groups: dict[tuple[int, tuple[str, ...]], dict[tuple[str, ...], Sums]] = field(default_factory=dict)
    user_keys: dict[int, set[str]] = field(default_factory=dict)
    metric_groups: dict[tuple[int, tuple[str, ...], str], dict[tuple[str, ...], float]] = field(default_factory=dict)
    #: signature key → its values at the grouping's attribute positions (`()` when one is empty), per grouping
    projections: dict[tuple[tuple[str, ...], tuple[str, ...]], dict[str, tuple[str, ...]]] = field(default_factory=dict)


@dataclass
class DashboardData:
    """Cached, merged reads of the aggregate rows, and memoised groupings of them. Not shared between threads.

    Partials handed out are shared: callers must not modify them.
    """

    reader: RowReader
    reads: int = 0
    _spans: dict[tuple[str, str], _Span] = field(default_factory=dict)
    _totals: dict[tuple[str, TimeRange], WindowPartial | UserPartial] = field(default_factory=dict)
    _groups: dict[tuple[int, tuple[str, ...]], tuple[WindowPartial, dict[tuple[str, ...], Sums]]] = field(
        default_factory=dict
    )
    _splits: dict[int, tuple[WindowPartial, list[tuple[list[str], Sums]]]] = field(default_factory=dict)

    def group(self, partial: WindowPartial, by: tuple[str, ...]) -> dict[tuple[str, ...], Sums]:
        """Sums per value tuple of `by` over the signatures carrying every attribute of `by` (the semantics of
        `WindowPartial.group_by`; `()` = totals over everything), computed once per partial and grouping, with
        each signature split only once however many groupings are asked for."""
        key = (id(partial), by)
        hit = self._groups.get(key)
        if hit is not None and hit[0] is partial:
            return hit[1]
        result = _group(self._split(partial), [partial.attrs.index(a) for a in by])
        self._groups[key] = (partial, result)  # holding the partial keeps its id from being reused
        return result

    def _split(self, partial: WindowPartial) -> list[tuple[list[str], Sums]]:
        hit = self._splits.get(id(partial))
        if hit is not None and hit[0] is partial:
            return hit[1]
        split = [(key.split(VALUE_SEPARATOR), sums) for key, sums in partial.sigs.items()]
        self._splits[id(partial)] = (partial, split)
        return split

    def windows(self, size: str, from_ms: int, to_ms: int) -> dict[int, WindowPartial]:
        """Merged W partials of every `size` window starting in [from_ms, to_ms), by window start."""
        return self._get("W", size, from_ms, to_ms)  # type: ignore[return-value]

    def users(self, size: str, from_ms: int, to_ms: int) -> dict[int, UserPartial]:
        """Merged U partials (users, their sums and sessions) of every `size` window starting in the span."""
        return self._get("U", size, from_ms, to_ms)  # type: ignore[return-value]

    def total_window(self, rng: TimeRange) -> WindowPartial:
        """Sums per label signature over the whole range (its covering windows merged)."""
        cached = self._totals.get(("W", rng))
        if cached is None:
            out = WindowPartial()
            for seg in rng.cover():
                for partial in self.windows(seg.size, seg.from_ms, seg.to_ms).values():
                    out.merge(partial)
            cached = self._totals[("W", rng)] = out
        return cached  # type: ignore[return-value]

    def total_users(self, rng: TimeRange) -> UserPartial:
        """Every user active in the range with their sums and sessions (exact: sets are unioned). The stored
        documents of every covering window are merged in one pass (not window by window, then again)."""
        cached = self._totals.get(("U", rng))
        if cached is None:
            cached = self._totals[("U", rng)] = _merge_users(list(self._user_docs(rng)))
        return cached  # type: ignore[return-value]

    def _user_docs(self, rng: TimeRange) -> Iterator[dict[str, Any]]:
        for seg in rng.cover():
            span = self._span("U", seg.size, seg.from_ms, seg.to_ms)
            for start, docs in span.docs.items():
                if seg.from_ms <= start < seg.to_ms:
                    yield from docs

    def user_sets(self, size: str, from_ms: int, to_ms: int) -> dict[int, set[str]]:
        """The distinct users of every `size` window starting in the span (no sums or sessions merged)."""
        span = self._span("U", size, from_ms, to_ms)
        out = {}
        for start, docs in span.docs.items():
            if from_ms <= start < to_ms:
                keys = span.user_keys.get(start)
                if keys is None:
                    keys = span.user_keys[start] = set()
                    for doc in docs:
                        keys.update(doc.get("users") or ())
                out[start] = keys
        return out

    def user_key_series(self, rng: TimeRange) -> list[tuple[int, set[str]]]:
        """(start, distinct users) of every window of the range's user-chart size, empty windows included."""
        size = rng.user_series_size
        got = self.user_sets(size, rng.from_ms, rng.to_ms)
        return [(start, got.get(start) or set()) for start in rng.starts(size)]

    def total_user_sums(self, rng: TimeRange, metrics: tuple[str, ...]) -> dict[str, dict[str, float]]:
        """Every user active in the range with their sums of `metrics` (no sessions, no other metric: much
        cheaper than `total_users` when a widget needs a few sums per user)."""
        return _sum_users(self._user_docs(rng), metrics)

    def user_series(self, rng: TimeRange) -> list[tuple[int, UserPartial]]:
        """(start, merged U partial) of every window of the range's user-chart size, empty windows included."""
        size = rng.user_series_size
        got = self.users(size, rng.from_ms, rng.to_ms)
        return [(start, got.get(start) or UserPartial()) for start in rng.starts(size)]

    def window_groups(
        self, size: str, from_ms: int, to_ms: int, by: tuple[str, ...]
    ) -> dict[int, dict[tuple[str, ...], Sums]]:
        """For every `size` window starting in the span: sums per value tuple of `by` (as `group`), computed
        from the stored rows without merging them first."""
        span = self._span("W", size, from_ms, to_ms)
        out = {}
        for start, docs in span.docs.items():
            if from_ms <= start < to_ms:
                groups = span.groups.get((start, by))
                if groups is None:
                    groups = span.groups[(start, by)] = _group_docs(docs, by, span.projections)
                out[start] = groups
        return out

    def window_metric(
        self, size: str, from_ms: int, to_ms: int, by: tuple[str, ...], metric: str
    ) -> dict[int, dict[tuple[str, ...], float]]:
        """`window_groups` for one metric: {start: {value tuple of `by`: sum}}, groups without it left out. Adds
        only that metric's values (an over-time chart of one metric need not sum every other one)."""
        span = self._span("W", size, from_ms, to_ms)
        out = {}
        for start, docs in span.docs.items():
            if from_ms <= start < to_ms:
                got = span.metric_groups.get((start, by, metric))
                if got is None:
                    grouped = span.groups.get((start, by))
                    got = (
                        {k: s[metric] for k, s in grouped.items() if s.get(metric)}
                        if grouped is not None
                        else _metric_docs(docs, by, metric, span.projections)
                    )
                    span.metric_groups[(start, by, metric)] = got
                out[start] = got
        return out

    def _get(self, kind: str, size: str, from_ms: int, to_ms: int) -> dict[int, WindowPartial | UserPartial]:
        span = self._span(kind, size, from_ms, to_ms)
        out: dict[int, WindowPartial | UserPartial] = {}
        for start, docs in span.docs.items():
            if from_ms <= start < to_ms:
                merged = span.merged.get(start)
                if merged is None:
                    merged = span.merged[start] = _merge(kind, docs)
                out[start] = merged
        return out

    def _span(self, kind: str, size: str, from_ms: int, to_ms: int) -> _Span:
        if size not in WINDOW_SIZES:
            raise ValueError(f"unknown window size {size!r}")
        span = self._spans.get((kind, size))
        if span is None or from_ms < span.from_ms or to_ms > span.to_ms:
            lo = from_ms if span is None else min(from_ms, span.from_ms)
            hi = to_ms if span is None else max(to_ms, span.to_ms)
            self.reads += 1
            docs: dict[int, list[dict[str, Any]]] = {}
            for _, key, doc in self.reader.rows(kind, size, lo, hi):
                docs.setdefault(key.start_ms, []).append(doc)
            span = self._spans[(kind, size)] = _Span(lo, hi, docs)
        return span


def _merge(kind: str, docs: list[dict[str, Any]]) -> WindowPartial | UserPartial:
    if kind == "W":
        w = WindowPartial()
        for doc in docs:
            w.merge(WindowPartial.from_doc(doc))
        return w
    return _merge_users(docs)


def _sum_users(docs: Iterable[dict[str, Any]], metrics: tuple[str, ...]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for doc in docs:
        for user, stored in (doc.get("users") or {}).items():
            sums = stored[0]
            mine = out.get(user)
            if mine is None:
                mine = out[user] = dict.fromkeys(metrics, 0.0)
            for metric in metrics:
                v = sums.get(metric)
                if v is not None:
                    mine[metric] += v
    return out


def _merge_users(docs: list[dict[str, Any]]) -> UserPartial:
    """The stored user documents merged straight into one partial: the same result as merging each document's
    `UserPartial.from_doc`, without building an entry per user and document first."""
    users: dict[str, UserEntry] = {}
    for doc in docs:
        for user, stored in (doc.get("users") or {}).items():
            mine = users.get(user)
            if mine is None:
                users[user] = UserEntry(
                    dict(stored[0]), set(stored[1]), load_sketch(stored[2]) if len(stored) > 2 else None
                )
            elif len(stored) > 2 or mine.sketch is not None:
                mine.merge(UserEntry(stored[0], set(stored[1]), load_sketch(stored[2]) if len(stored) > 2 else None))
            else:
                sums = mine.sums
                for metric, v in stored[0].items():
                    sums[metric] = sums.get(metric, 0.0) + v
                mine.sessions.update(stored[1])
    return UserPartial(users)


def _group_docs(
    docs: list[dict[str, Any]],
    by: tuple[str, ...],
    projections: dict[tuple[tuple[str, ...], tuple[str, ...]], dict[str, tuple[str, ...]]] | None = None,
) -> dict[tuple[str, ...], Sums]:
    """`group` over several stored window documents at once (each may list its own attributes). A signature key
    recurs in window after window, so its projection onto `by` is kept in `projections` and computed once."""
    out: dict[tuple[str, ...], Sums] = {}
    cache = projections if projections is not None else {}
    for doc in docs:
        attrs = tuple(doc.get("attrs") or GROUPABLE_ATTRIBUTES)
        sigs: dict[str, Sums] = doc.get("sigs") or {}
        if not by:
            for sums in sigs.values():
                _add(out, (), sums)
            continue
        if any(a not in attrs for a in by):
            continue  # rows written before an attribute was groupable carry no value for it
        projected = cache.get((attrs, by))
        if projected is None:
            projected = cache[(attrs, by)] = {}
        idx = [attrs.index(a) for a in by]
        for key, sums in sigs.items():
            values = projected.get(key)
            if values is None:
                parts = key.split(VALUE_SEPARATOR)
                values = tuple(parts[i] for i in idx)
                values = projected[key] = values if all(values) else ()
            if not values:
                continue
            acc = out.get(values)
            if acc is None:
                out[values] = dict(sums)
            else:
                for metric, v in sums.items():
                    acc[metric] = acc.get(metric, 0.0) + v
    return out


def _metric_docs(
    docs: list[dict[str, Any]],
    by: tuple[str, ...],
    metric: str,
    projections: dict[tuple[tuple[str, ...], tuple[str, ...]], dict[str, tuple[str, ...]]],
) -> dict[tuple[str, ...], float]:
    """`_group_docs` of one metric (the same projection cache: `()` = a value of `by` is empty)."""
    out: dict[tuple[str, ...], float] = {}
    for doc in docs:
        attrs = tuple(doc.get("attrs") or GROUPABLE_ATTRIBUTES)
        sigs: dict[str, Sums] = doc.get("sigs") or {}
        if not by:
            total = sum(v for v in (sums.get(metric) for sums in sigs.values()) if v)
            out[()] = out.get((), 0.0) + total
            continue
        if any(a not in attrs for a in by):
            continue
        projected = projections.get((attrs, by))
        if projected is None:
            projected = projections[(attrs, by)] = {}
        idx = [attrs.index(a) for a in by]
        for key, sums in sigs.items():
            v = sums.get(metric)
            if not v:
                continue
            values = projected.get(key)
            if values is None:
                parts = key.split(VALUE_SEPARATOR)
                values = tuple(parts[i] for i in idx)
                values = projected[key] = values if all(values) else ()
            if values:
                out[values] = out.get(values, 0.0) + v
    return {k: v for k, v in out.items() if v}


def _group(split: list[tuple[list[str], Sums]], idx: list[int]) -> dict[tuple[str, ...], Sums]:
    out: dict[tuple[str, ...], Sums] = {}
    if len(idx) == 1:
        (i,) = idx
        for parts, sums in split:
            value = parts[i]
            if value:
                _add(out, (value,), sums)
        return out
    for parts, sums in split:
        values = tuple(parts[i] for i in idx)
        if all(values):
            _add(out, values, sums)
    return out


def _add(out: dict[tuple[str, ...], Sums], key: tuple[str, ...], sums: Sums) -> None:
    acc = out.get(key)
    if acc is None:
        out[key] = dict(sums)
        return
    for metric, v in sums.items():
        acc[metric] = acc.get(metric, 0.0) + v
