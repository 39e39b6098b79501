"""Property tests: partial aggregates form a commutative monoid, so any split and merge order gives one answer."""

from __future__ import annotations

import itertools
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from consumers.aggregates.partials import UserPartial, WindowPartial

keys = st.sampled_from(["\x1fa", "m\x1fb", "m\x1f", "\x1f"])
metric = st.sampled_from(["m1", "m2", "m3"])
value = st.floats(min_value=0, max_value=1e9, allow_nan=False)
adds = st.lists(st.tuples(keys, metric, value), max_size=40)
user_adds = st.lists(
    st.tuples(st.sampled_from(["u1", "u2", "u3", "u4"]), metric, value, st.sampled_from(["s1", "s2", "s3"])),
    max_size=40,
)


def window_of(items) -> WindowPartial:  # type: ignore[no-untyped-def]
    p = WindowPartial(attrs=("model", "team.id"))
    for k, m, v in items:
        p.add(k, m, v)
        p.points += 1
    return p


def user_of(items) -> UserPartial:  # type: ignore[no-untyped-def]
    p = UserPartial()
    for u, m, v, s in items:
        e = p.entry(u)
        e.sums[m] = e.sums.get(m, 0.0) + v
        e.sessions.add(s)
    return p


def close_sigs(a: dict, b: dict) -> bool:
    if a.keys() != b.keys():
        return False
    for k in a:
        sa, sb = a[k], b[k]
        if sa.keys() != sb.keys() or not all(math.isclose(sa[m], sb[m], rel_tol=1e-9, abs_tol=1e-6) for m in sa):
            return False
    return True


@settings(max_examples=200, deadline=None)
@given(adds, st.lists(st.integers(min_value=0, max_value=40), max_size=5), st.randoms())
def test_window_partials_merge_in_any_split_and_order(items, cuts, rnd) -> None:  # type: ignore[no-untyped-def]
    whole = window_of(items)
    bounds = sorted({0, len(items), *(c % (len(items) + 1) for c in cuts)})
    parts = [window_of(items[a:b]) for a, b in itertools.pairwise(bounds)]
    rnd.shuffle(parts)
    merged = WindowPartial(attrs=("model", "team.id"))
    for p in parts:
        merged.merge(WindowPartial.from_doc(p.to_doc()))  # through the stored form too
    assert merged.points == whole.points
    assert close_sigs(merged.sigs, whole.sigs)


@settings(max_examples=200, deadline=None)
@given(user_adds, st.lists(st.integers(min_value=0, max_value=40), max_size=5), st.randoms())
def test_user_partials_merge_in_any_split_and_order(items, cuts, rnd) -> None:  # type: ignore[no-untyped-def]
    whole = user_of(items)
    bounds = sorted({0, len(items), *(c % (len(items) + 1) for c in cuts)})
    parts = [user_of(items[a:b]) for a, b in itertools.pairwise(bounds)]
    rnd.shuffle(parts)
    merged = UserPartial()
    for p in parts:
        merged.merge(UserPartial.from_doc(p.to_doc()))
    assert merged.users.keys() == whole.users.keys()
    for u, e in whole.users.items():
        assert merged.users[u].sessions == e.sessions
        assert merged.users[u].sums.keys() == e.sums.keys()
        assert all(math.isclose(merged.users[u].sums[m], e.sums[m], rel_tol=1e-9, abs_tol=1e-6) for m in e.sums)
