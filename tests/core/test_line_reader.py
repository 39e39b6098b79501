"""The fast line reader agrees with the generic parser on every line it accepts, and accepts ordinary awsemf lines.

The reference is `schemas.emf.parse_line` (the generic path the lake also uses) turned into a `Line` by plain
dictionary look-ups here, so a wrong field, a missed metric or a double-counted value shows up as a difference.
"""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from consumers.aggregates.dimensions import GROUPABLE_ATTRIBUTES
from consumers.decode.lines import read_fast, read_generic
from consumers.generate import simulate
from schemas.emf import EmfError, parse_line


def reference(line: str) -> tuple[int, tuple[str | None, ...], str | None, str | None, list[tuple[str, float]]] | None:
    """What the aggregates must see for a line, computed from `parse_line`'s points; None if nothing counts."""
    try:
        points, _ = parse_line(line)
    except EmfError:
        return None
    if not points:
        return None
    attrs = points[0].attributes
    user = attrs.get("user.email") or attrs.get("user.id") or None
    sig = tuple(attrs.get(a) for a in GROUPABLE_ATTRIBUTES)
    return points[0].timestamp_ms, sig, user, attrs.get("session.id"), sorted((p.metric, p.value) for p in points)


def as_tuple(line: object) -> tuple[object, ...]:
    return (line.timestamp_ms, line.signature, line.user, line.session, sorted(line.values))  # type: ignore[attr-defined]


def test_simulated_awsemf_lines_take_the_fast_path_with_equal_results() -> None:
    lines = [e.line for e in simulate(60, 3, 1_795_014_000_000, seed=5)]
    assert len(lines) > 100
    for i, line in enumerate(lines):
        got = read_fast(i, line)
        assert got is not None, line
        assert as_tuple(got) == reference(line)
        generic, rejected = read_generic(i, line)
        assert generic == got and not rejected


scalars = st.none() | st.booleans() | st.integers(-5, 10**16) | st.floats(allow_nan=True) | st.text(max_size=8)
catalogue = ["claude_code.token.usage", "claude_code.cost.usage", "claude_code.commit.count"]
metric_names = st.sampled_from([*catalogue, "claude_code.new.metric", "x"])
attribute_names = st.sampled_from(["model", "type", "team.id", "user.email", "user.id", "session.id", "Name", "extra"])
good_values = st.integers(0, 10**6) | st.floats(0, 1e6)


@st.composite
def emf_lines(draw: st.DrawFn) -> str:
    """Mostly ordinary awsemf lines, each with a few of the ways a line can be unusual mixed in."""
    metrics = draw(st.lists(st.sampled_from(catalogue), min_size=1, max_size=3, unique=True))
    declared = [m for m in metrics if draw(st.integers(0, 9))]  # now and then a value nobody declared
    declared += draw(st.lists(metric_names, max_size=1))  # now and then a declared name without a value
    directives = [{"Namespace": "ClaudeCode", "Dimensions": [["OTelLib"]], "Metrics": [{"Name": n} for n in declared]}]
    if not draw(st.integers(0, 9)):
        directives.append({"Metrics": [{"Name": draw(metric_names), "Unit": "Count"}]})
    timestamp = (
        draw(st.integers(1, 2**45))
        if draw(st.integers(0, 9))
        else draw(st.integers(-1, 0) | st.floats(1, 2**45) | st.none())
    )
    doc: dict[str, object] = {
        "_aws": {"Timestamp": timestamp, "CloudWatchMetrics": directives},
        "OTelLib": "com.anthropic.claude_code",
    }
    for attr in draw(st.lists(attribute_names, max_size=5)):
        doc[attr] = draw(st.text(max_size=6)) if draw(st.integers(0, 4)) else draw(scalars | st.just("claude_code.x"))
    for name in metrics:
        doc[name] = (
            draw(good_values) if draw(st.integers(0, 9)) else draw(scalars | st.lists(st.integers(0, 9), max_size=2))
        )
    for name in draw(st.lists(metric_names, max_size=1)):
        doc[name] = draw(good_values)  # now and then an undeclared metric key
    items = list(doc.items())
    if not draw(st.integers(0, 9)):
        items.append(items[-1])  # a duplicate key
    return "{" + ",".join(f"{json.dumps(k)}:{json.dumps(v)}" for k, v in items) + "}"


@settings(max_examples=1000, deadline=None)
@given(emf_lines())
def test_whatever_the_fast_path_accepts_matches_the_generic_parser(line: str) -> None:
    got = read_fast(0, line)
    if got is not None:
        assert as_tuple(got) == reference(line)


def test_unusual_lines_fall_back_to_the_generic_path() -> None:
    base = {
        "_aws": {
            "Timestamp": 1_795_014_000_000,
            "CloudWatchMetrics": [{"Metrics": [{"Name": "claude_code.commit.count"}]}],
        },
        "user.id": "u1",
        "claude_code.commit.count": 2,
    }
    assert read_fast(0, json.dumps(base)) is not None
    unknown = base | {"claude_code.new.metric": 1}  # undeclared, unknown: kept generically
    assert read_fast(0, json.dumps(unknown)) is None
    assert ("claude_code.new.metric", 1.0) in read_generic(0, json.dumps(unknown))[0].values  # type: ignore[union-attr]
    negative = base | {"claude_code.commit.count": -1}
    assert read_fast(0, json.dumps(negative)) is None
    line, rejected = read_generic(0, json.dumps(negative))
    assert line is None and [r.reason for r in rejected] == ["negative_value"]
