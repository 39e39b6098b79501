"""Sketch quantiles are within the stated 1 % of the exact quantiles, whatever the distribution, the split into
partials and the merge order; merging in any order gives the same sketch bit for bit."""

from __future__ import annotations

import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from consumers.aggregates.sketch import RELATIVE_ACCURACY, Sketch

QS = (0.0, 0.25, 0.5, 0.9, 0.95, 0.99, 1.0)


def distributions() -> st.SearchStrategy[list[int]]:
    small = st.lists(st.integers(0, 60_000), min_size=1, max_size=400)
    heavy = st.lists(st.floats(0, 14).map(lambda x: int(math.exp(x))), min_size=1, max_size=400)
    clustered = st.tuples(st.integers(1, 10**9), st.integers(1, 400)).map(lambda t: [t[0]] * t[1])
    return st.one_of(small, heavy, clustered)


def exact(values: list[int], q: float) -> int:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))]


@settings(max_examples=200, deadline=None)
@given(values=distributions(), parts=st.integers(1, 8), seed=st.integers(0, 2**32))
def test_quantiles_within_one_percent_for_any_split_and_merge_order(values: list[int], parts: int, seed: int) -> None:
    rng = random.Random(seed)
    partials = [Sketch() for _ in range(parts)]
    for v in values:
        rng.choice(partials).add(v)
    orders = []
    for _ in range(3):
        rng.shuffle(partials)
        merged = Sketch()
        for p in partials:
            merged.merge(p)
        orders.append(merged)
    assert all(m.to_doc() == orders[0].to_doc() for m in orders)  # the same sketch, whatever the order
    merged = orders[0]
    assert merged.count == len(values)
    for q in QS:
        got, want = merged.quantile(q), exact(values, q)
        assert got is not None
        assert abs(got - want) <= RELATIVE_ACCURACY * want + 1e-9, (q, got, want)


@given(values=distributions())
def test_serialisation_round_trips(values: list[int]) -> None:
    s = Sketch()
    for v in values:
        s.add(v)
    assert Sketch.from_doc(s.to_doc()).to_doc() == s.to_doc()


def test_empty_sketch_has_no_quantile() -> None:
    assert Sketch().quantile(0.5) is None
