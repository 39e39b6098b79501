"""The two partial aggregates a shard keeps per window, and how they merge.

`WindowPartial`: for each dimension set, for each value key, the sum of every metric.
`UserPartial`: for each user (email, else user.id), the sum of every metric and the set of session ids — so
distinct users and sessions are exact (the union over shards), never a top-N approximation.
Both are commutative monoids: `merge` in any order and any split gives the same result (property-tested).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

Sums = dict[str, float]


def _add_sums(into: Sums, other: Sums) -> None:
    for metric, v in other.items():
        into[metric] = into.get(metric, 0.0) + v


@dataclass(slots=True)
class WindowPartial:
    dims: dict[str, dict[str, Sums]] = field(default_factory=dict)
    points: int = 0

    def add(self, keys: Iterable[tuple[str, str]], metric: str, value: float) -> None:
        """Add one value under every (dimension set, value key) it belongs to."""
        dims = self.dims
        for ds_name, key in keys:
            by_key = dims.get(ds_name)
            if by_key is None:
                by_key = dims[ds_name] = {}
            sums = by_key.get(key)
            if sums is None:
                by_key[key] = {metric: value}
            else:
                sums[metric] = sums.get(metric, 0.0) + value

    def merge(self, other: WindowPartial) -> WindowPartial:
        for ds_name, by_key in other.dims.items():
            mine = self.dims.setdefault(ds_name, {})
            for key, sums in by_key.items():
                _add_sums(mine.setdefault(key, {}), sums)
        self.points += other.points
        return self

    def to_doc(self) -> dict[str, object]:
        return {"dims": self.dims, "points": self.points}

    @classmethod
    def from_doc(cls, doc: dict[str, object]) -> WindowPartial:
        return cls(dims=doc.get("dims") or {}, points=int(doc.get("points") or 0))  # type: ignore[arg-type]


@dataclass(slots=True)
class UserEntry:
    sums: Sums = field(default_factory=dict)
    sessions: set[str] = field(default_factory=set)


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
            mine = self.entry(user)
            _add_sums(mine.sums, e.sums)
            mine.sessions |= e.sessions
        return self

    def to_doc(self) -> dict[str, object]:
        return {"users": {u: [e.sums, sorted(e.sessions)] for u, e in self.users.items()}}

    @classmethod
    def from_doc(cls, doc: dict[str, object]) -> UserPartial:
        users = doc.get("users") or {}
        return cls(
            users={u: UserEntry(dict(s), set(sess)) for u, (s, sess) in users.items()}  # type: ignore[union-attr]
        )
