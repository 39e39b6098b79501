"""What the widgets read: merged window and user partials for a time range, each stored row read at most once.

One `DashboardData` serves one page render (or one Lambda invocation). It reads rows through a `RowReader`
(DynamoDB's indexes, or memory in tests) and keeps them per (kind, size), so twenty widgets asking for overlapping
spans cost one read per span. Every shard's and bucket's partial of a window is merged when a widget asks for the
window; over-time charts instead ask for `window_groups`, sums grouped straight from the stored rows, which skips
the merge (the costly part at a point per minute for thousands of users).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from consumers.aggregates.dimensions import GROUPABLE_ATTRIBUTES, VALUE_SEPARATOR
from consumers.aggregates.partials import Sums, UserPartial, WindowPartial
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
        """Every user active in the range with their sums and sessions (exact: sets are unioned)."""
        cached = self._totals.get(("U", rng))
        if cached is None:
            out = UserPartial()
            for seg in rng.cover():
                for partial in self.users(seg.size, seg.from_ms, seg.to_ms).values():
                    out.merge(partial)
            cached = self._totals[("U", rng)] = out
        return cached  # type: ignore[return-value]

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
                    groups = span.groups[(start, by)] = _group_docs(docs, by)
                out[start] = groups
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
    u = UserPartial()
    for doc in docs:
        u.merge(UserPartial.from_doc(doc))
    return u


def _group_docs(docs: list[dict[str, Any]], by: tuple[str, ...]) -> dict[tuple[str, ...], Sums]:
    """`group` over several stored window documents at once (each may list its own attributes)."""
    out: dict[tuple[str, ...], Sums] = {}
    for doc in docs:
        attrs = list(doc.get("attrs") or GROUPABLE_ATTRIBUTES)
        sigs: dict[str, Sums] = doc.get("sigs") or {}
        if not by:
            for sums in sigs.values():
                _add(out, (), sums)
            continue
        if any(a not in attrs for a in by):
            continue  # rows written before an attribute was groupable carry no value for it
        idx = [attrs.index(a) for a in by]
        for key, sums in sigs.items():
            parts = key.split(VALUE_SEPARATOR)
            values = tuple(parts[i] for i in idx)
            if all(values):
                _add(out, values, sums)
    return out


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
