"""The two partial aggregates a shard keeps per window, and how they merge.

`WindowPartial`: for each label signature (see `dimensions.py`), the sum of every metric; plus the point count.
`UserPartial`: for each user (email, else user.id), the sum of every metric and the set of session ids — so
distinct users are exact (the union over shards), and sessions too up to a limit per user and window, past which a
user's sessions are an HLL sketch (`sessions.py`; counts then say they are approximate).
Both are commutative monoids: `merge` in any order and any split gives the same result (property-tested).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from consumers.aggregates.dimensions import GROUPABLE_ATTRIBUTES, split_key
from consumers.aggregates.sessions import (
    SessionCount,
    count_sessions,
    dump_sketch,
    load_sketch,
    sketch_of,
    union_sketch,
)

Sums = dict[str, float]


def add_sums(into: Sums, other: Sums) -> None:
    for metric, v in other.items():
        into[metric] = into.get(metric, 0.0) + v


@dataclass(slots=True)
class WindowPartial:
    sigs: dict[str, Sums] = field(default_factory=dict)
    points: int = 0
    attrs: tuple[str, ...] = GROUPABLE_ATTRIBUTES

    def add(self, sig_key: str, metric: str, value: float) -> None:
        sums = self.sigs.get(sig_key)
        if sums is None:
            self.sigs[sig_key] = {metric: value}
        else:
            sums[metric] = sums.get(metric, 0.0) + value

    def add_sums(self, sig_key: str, sums: Sums) -> None:
        mine = self.sigs.get(sig_key)
        if mine is None:
            self.sigs[sig_key] = dict(sums)
        else:
            add_sums(mine, sums)

    def merge(self, other: WindowPartial) -> WindowPartial:
        if other.attrs != self.attrs:
            other = other.reprojected(self.attrs)
        for key, sums in other.sigs.items():
            self.add_sums(key, sums)
        self.points += other.points
        return self

    def reprojected(self, attrs: tuple[str, ...]) -> WindowPartial:
        """The same sums keyed by another attribute list (rows written by an older or newer version)."""
        out = WindowPartial(points=self.points, attrs=attrs)
        for key, sums in self.sigs.items():
            values = dict(zip(self.attrs, split_key(key), strict=True))
            out.add_sums("\x1f".join(values.get(a, "") for a in attrs), sums)
        return out

    def group_by(self, by: tuple[str, ...]) -> dict[tuple[str, ...], Sums]:
        """Sums per value tuple of `by`, over the signatures that carry every attribute of `by`."""
        idx = [self.attrs.index(a) for a in by]
        out: dict[tuple[str, ...], Sums] = {}
        for key, sums in self.sigs.items():
            parts = split_key(key)
            values = tuple(parts[i] for i in idx)
            if all(values):
                add_sums(out.setdefault(values, {}), sums)
        return out

    def to_doc(self) -> dict[str, object]:
        return {"attrs": list(self.attrs), "sigs": self.sigs, "points": self.points}

    @classmethod
    def from_doc(cls, doc: dict[str, object]) -> WindowPartial:
        return cls(
            sigs=doc.get("sigs") or {},  # type: ignore[arg-type]
            points=int(doc.get("points") or 0),  # type: ignore[call-overload]
            attrs=tuple(doc.get("attrs") or GROUPABLE_ATTRIBUTES),  # type: ignore[arg-type]
        )


@dataclass(slots=True)
class UserEntry:
    sums: Sums = field(default_factory=dict)
    sessions: set[str] = field(default_factory=set)
    #: HLL sketch of every session id once there were more than the limit (`sessions` is then empty)
    sketch: Any = None
    #: where the writer switched this entry to a sketch (an opaque, lexicographically ordered position text; "" =
    #: not known): lets a replay count the switch once (`shard/rowbook.py`)
    switched_at: str = ""

    def add_sessions(self, ids: set[str], limit: int, at: str = "") -> bool:
        """Add session ids; True when this call switched the entry to a sketch (more than `limit` ids), which it
        then remembers happened `at`."""
        if self.sketch is not None:
            sketch_of(ids, self.sketch)
            return False
        self.sessions |= ids
        if len(self.sessions) <= limit:
            return False
        self.sketch = sketch_of(sorted(self.sessions))
        self.sessions = set()
        self.switched_at = at
        return True

    def merge(self, other: UserEntry) -> None:
        add_sums(self.sums, other.sums)
        if other.sketch is None and self.sketch is None:
            self.sessions |= other.sessions
            return
        self.sketch = _union(self, other)
        self.sessions = set()
        self.switched_at = min(filter(None, (self.switched_at, other.switched_at)), default="")

    def session_count(self) -> SessionCount:
        return count_sessions([self.sessions], [self.sketch])


def _union(a: UserEntry, b: UserEntry) -> Any:
    return union_sketch([a.sketch, b.sketch], a.sessions | b.sessions)


def distinct_sessions(entries: list[UserEntry]) -> SessionCount:
    """Distinct sessions over several users' entries (exact unless one of them holds a sketch)."""
    return count_sessions([e.sessions for e in entries], [e.sketch for e in entries])


@dataclass(slots=True)
class UserPartial:
    users: dict[str, UserEntry] = field(default_factory=dict)

    def entry(self, user: str) -> UserEntry:
        e = self.users.get(user)
        if e is None:
            e = self.users[user] = UserEntry()
        return e

    def merge(self, other: UserPartial) -> UserPartial:
        for user, e in other.users.items():
            self.entry(user).merge(e)
        return self

    def to_doc(self) -> dict[str, object]:
        """`{"users": {user: [sums, sorted session ids]}}`, or `[sums, [], sketch bytes, switched_at]` past the
        limit."""
        return {
            "users": {
                u: [e.sums, sorted(e.sessions)]
                if e.sketch is None
                else [e.sums, [], dump_sketch(e.sketch), e.switched_at]
                for u, e in self.users.items()
            }
        }

    @classmethod
    def from_doc(cls, doc: dict[str, object]) -> UserPartial:
        users = cast("dict[str, list[Any]]", doc.get("users") or {})
        return cls(users={u: _entry_of(v) for u, v in users.items()})


def _entry_of(v: list[Any]) -> UserEntry:
    if len(v) <= 2:
        return UserEntry(dict(v[0]), set(v[1]))
    return UserEntry(dict(v[0]), set(v[1]), load_sketch(v[2]), str(v[3]) if len(v) > 3 else "")
