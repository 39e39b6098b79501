"""The event aggregates of one window: integer sums per family and group, distribution sketches, event counts.

`EventPartial` is a commutative monoid like the metrics' partials: `merge` in any order and any split gives the same
result (integers and `Sketch`es only, no floats). What each family groups by and sums is declared in
`schemas/events.py` (`FAMILIES`); `fold` adds one event. A family holds at most `cap` groups per row (and each
sketched field at most `cap` sketches): later groups are added to the `__other__` group, in shard order, so the
result depends only on the records, never on batch boundaries (totals stay exact).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from consumers.aggregates.sketch import Sketch
from consumers.decode.events import Event
from schemas import events as ev

Counts = dict[str, int]
SEP = "\x1f"
#: Fields derived from the `success` flag of a tool result: a rejected tool has no result at all (it is counted
#: by `tool_decision` only), so it is never a failure.
SUCCESSES, FAILURES = "successes", "failures"

#: Families of each event, split: (families of the window row, families keyed by the person: user rows).
_BY_EVENT: dict[str, tuple[tuple[ev.Family, ...], tuple[ev.Family, ...]]] = {}
for _name in {f.event for f in ev.FAMILIES}:
    _fams = [f for f in ev.FAMILIES if f.event == _name]
    _BY_EVENT[_name] = (tuple(f for f in _fams if ev.USER not in f.by), tuple(f for f in _fams if ev.USER in f.by))
_NONE: tuple[tuple[ev.Family, ...], tuple[ev.Family, ...]] = ((), ())


def keyed_by_person(event_name: str) -> bool:
    """Whether an event has families keyed by the person (its user row gets something)."""
    return bool(_BY_EVENT.get(event_name, _NONE)[1])


def other_key(n: int) -> str:
    return SEP.join([ev.OTHER] * n)


def sketch_name(family: ev.Family, field_name: str) -> str:
    """`api.duration_ms`: the key of a sketched field's sketches in a partial."""
    return f"{family.name}.{field_name}"


def add_counts(into: Counts, other: Counts) -> None:
    for k, v in other.items():
        into[k] = into.get(k, 0) + v


@dataclass(slots=True)
class EventPartial:
    groups: dict[str, dict[str, Counts]] = field(default_factory=dict)
    sketches: dict[str, dict[str, Sketch]] = field(default_factory=dict)
    events: Counts = field(default_factory=dict)

    # ------------------------------------------------------------------------------------------------ building
    def fold(self, e: Event, per_user: bool = False) -> None:
        """Add one event (no cap: a batch's partial is small; `merge` applies the cap): the families keyed by the
        person with `per_user` (the user rows), else the others and the event count (the window row)."""
        if not per_user:
            self.events[e.name] = self.events.get(e.name, 0) + 1
        for fam in _BY_EVENT.get(e.name, _NONE)[per_user]:
            key = SEP.join([e.dimension(a) for a in fam.by])
            counts = self.groups.setdefault(fam.name, {}).setdefault(key, {})
            counts[fam.count] = counts.get(fam.count, 0) + 1
            nums = e.numbers
            for f in fam.fields:
                if f in nums:
                    counts[f] = counts.get(f, 0) + nums[f]
            if fam.event == ev.TOOL_RESULT and "success" in e.flags:
                f = SUCCESSES if e.flags["success"] else FAILURES
                counts[f] = counts.get(f, 0) + 1
            for f in fam.sketched:
                if f in nums:
                    skey = SEP.join([e.dimension(a) for a in fam.sketch_by])
                    sk = self.sketches.setdefault(sketch_name(fam, f), {})
                    (sk.get(skey) or sk.setdefault(skey, Sketch())).add(nums[f])

    def merge(self, other: EventPartial, cap: int = 0) -> int:
        """Add `other` into this partial; with `cap` > 0, groups past `cap` per family go to `__other__`.
        Returns how many events' groups went to `__other__` (for the limit counter)."""
        overflow = 0
        for name, n in other.events.items():  # event names come from clients: capped like the groups
            if name not in self.events and cap and len(self.events) >= cap:
                name = ev.OTHER
            self.events[name] = self.events.get(name, 0) + n
        for fam, groups in other.groups.items():
            mine = self.groups.setdefault(fam, {})
            for key, counts in groups.items():
                target = mine.get(key)
                if target is None:
                    if cap and len(mine) >= cap:
                        key = other_key(key.count(SEP) + 1)
                        overflow += _event_count(fam, counts)
                        target = mine.get(key)
                    if target is None:
                        target = mine[key] = {}
                add_counts(target, counts)
        for name, sketches in other.sketches.items():
            mine_s = self.sketches.setdefault(name, {})
            for key, sk in sketches.items():
                target_s = mine_s.get(key)
                if target_s is None:
                    if cap and len(mine_s) >= cap:
                        key = other_key(key.count(SEP) + 1)
                        target_s = mine_s.get(key)
                    if target_s is None:
                        target_s = mine_s[key] = Sketch()
                target_s.merge(sk)
        return overflow

    # ------------------------------------------------------------------------------------------------ reading
    def group_by(self, family: str, by: tuple[str, ...]) -> dict[tuple[str, ...], Counts]:
        """Sums of a family per value tuple of `by` (a subset of the family's attributes)."""
        attrs = ev.FAMILY_BY_NAME[family].by
        idx = [attrs.index(a) for a in by]
        out: dict[tuple[str, ...], Counts] = {}
        for key, counts in self.groups.get(family, {}).items():
            parts = key.split(SEP)
            add_counts(out.setdefault(tuple(parts[i] for i in idx), {}), counts)
        return out

    def sketch_by(self, name: str, by: tuple[str, ...], attrs: tuple[str, ...]) -> dict[tuple[str, ...], Sketch]:
        idx = [attrs.index(a) for a in by]
        out: dict[tuple[str, ...], Sketch] = {}
        for key, sk in self.sketches.get(name, {}).items():
            parts = key.split(SEP)
            out.setdefault(tuple(parts[i] for i in idx), Sketch()).merge(sk)
        return out

    # ------------------------------------------------------------------------------------------------ storage
    def to_doc(self) -> dict[str, object]:
        return {
            "groups": self.groups,
            "sketches": {n: {k: s.to_doc() for k, s in sks.items()} for n, sks in self.sketches.items()},
            "events": self.events,
        }

    @classmethod
    def from_doc(cls, doc: dict[str, object]) -> EventPartial:
        sketches = cast("dict[str, dict[str, Any]]", doc.get("sketches") or {})
        return cls(
            groups={
                f: {k: dict(c) for k, c in g.items()}
                for f, g in cast("dict[str, Any]", doc.get("groups") or {}).items()
            },
            sketches={n: {k: Sketch.from_doc(s) for k, s in sks.items()} for n, sks in sketches.items()},
            events=dict(cast("Counts", doc.get("events") or {})),
        )


def _event_count(family: str, counts: Counts) -> int:
    return counts.get(ev.FAMILY_BY_NAME[family].count, 0)
