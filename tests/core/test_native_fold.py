"""The native core's `fold` is `FineBatch.fold` in C: on any lines, into any batch, the same sums bit for bit.

Both run on the same lines into copies of the same batch; the batches are compared through `repr`, so a sum that
differs in its last bit, or a -0.0 that became 0.0, shows up. Pricing is the real `Pricer` with the shipped table.
"""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from consumers import native
from consumers.aggregates.batch import FineBatch
from consumers.aggregates.pricing import Pricer
from consumers.decode.lines import Line
from schemas.catalogue import COST_USAGE, TOKEN_USAGE
from schemas.prices import load_prices

PRICER = Pricer(load_prices())
words = st.sampled_from(["", "a", "b", "claude-sonnet-4-5", "claude-opus-4-1", "input", "output", "cacheRead"])
signatures = st.tuples(*[st.none() | words for _ in range(9)])
values = st.floats(allow_nan=False, allow_infinity=False, width=64) | st.integers(0, 10**6).map(float)
metrics = st.sampled_from([TOKEN_USAGE, COST_USAGE, "claude_code.commit.count", "x"])


@st.composite
def lines(draw: st.DrawFn) -> Line:
    return Line(
        index=draw(st.integers(0, 40)),
        timestamp_ms=draw(st.integers(-(10**13), 10**13) | st.integers(1_796_000_000_000, 1_796_000_600_000)),
        signature=draw(signatures),
        user=draw(st.none() | words),
        session=draw(st.none() | words),
        values=draw(st.lists(st.tuples(metrics, values), max_size=4)),
    )


def test_the_core_is_built() -> None:
    assert native.available(), "the native core is not built: run `make native`"


@settings(max_examples=400, deadline=None)
@given(
    st.lists(lines(), max_size=12),
    st.lists(lines(), max_size=12),
    st.frozensets(st.integers(0, 40), max_size=5),
)
def test_native_fold_equals_the_python_loop(first: list[Line], second: list[Line], skip: frozenset[int]) -> None:
    start = FineBatch()
    start.fold(first, PRICER.derive, native=False)  # a batch that already holds entries
    python, c = copy.deepcopy(start), copy.deepcopy(start)
    points_python = python.fold(second, PRICER.derive, skip, native=False)
    points_c = c.fold(second, PRICER.derive, skip, native=True)
    assert points_c == points_python
    assert repr(c.labels) == repr(python.labels)
    assert repr(c.users) == repr(python.users)


def test_a_hand_made_batch_has_the_expected_sums() -> None:
    sig = ("claude-sonnet-4-5", "input", None, None, None, None, None, None, None)
    batch = FineBatch()
    line = Line(3, 1_796_000_061_234, sig, "u@example.com", "s1", [(TOKEN_USAGE, 1000.0), (COST_USAGE, 0.5)])
    assert batch.fold([line, line], PRICER.derive, native=True) == 4
    assert batch.fold([line], PRICER.derive, frozenset({3}), native=True) == 0  # skipped: index 3 is late
    minute = 1_796_000_040_000  # 1_796_000_061_234 − 21_234: 29,933,334 whole minutes since the epoch
    assert batch.labels == {(minute, sig): [{TOKEN_USAGE: 2000.0, COST_USAGE: 1.0}, 4]}
    sums, sessions = batch.users[(minute, "u@example.com")]
    price = PRICER.price_of(sig)
    assert price is not None and sessions == {"s1"}
    assert sums[TOKEN_USAGE] == 2000.0 and sums["ccstream.token_cost.usd"] == 1000.0 * price + 1000.0 * price
