"""The fast line reader agrees with the generic parser on every line it accepts, and accepts ordinary awsemf lines.

The reference is `schemas.emf.parse_line` (the generic path the lake also uses) turned into a `Line` by plain
dictionary look-ups here, so a wrong field, a missed metric or a double-counted value shows up as a difference.
"""

from __future__ import annotations

import json
from typing import Any

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
#: Any JSON value an attribute or a unit may wrongly carry (nulls, lists and objects included).
oddities = (
    scalars | st.lists(st.integers(0, 9), max_size=2) | st.dictionaries(st.just("k"), st.integers(0, 9), max_size=1)
)


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
        doc[attr] = draw(st.text(max_size=6)) if draw(st.integers(0, 4)) else draw(oddities | st.just("claude_code.x"))
    entries = directives[0]["Metrics"]
    if entries and not draw(st.integers(0, 9)):
        entries[0]["Unit"] = draw(oddities | st.just("Count"))  # type: ignore[index]
    for name in metrics:
        doc[name] = (
            draw(good_values) if draw(st.integers(0, 9)) else draw(scalars | st.lists(st.integers(0, 9), max_size=2))
        )
    for name in draw(st.lists(metric_names, max_size=1)):
        doc[name] = draw(good_values)  # now and then an undeclared metric key
    items = list(doc.items())
    if not draw(st.integers(0, 9)):
        items.append(items[-1])  # a duplicate key
    comma, colon = (",", ":") if draw(st.integers(0, 9)) else (", ", draw(st.sampled_from([": ", " :", ":\t"])))
    return "{" + comma.join(f"{json.dumps(k)}{colon}{json.dumps(v, separators=(comma, colon))}" for k, v in items) + "}"


@settings(max_examples=1000, deadline=None)
@given(emf_lines())
def test_whatever_the_fast_path_accepts_matches_the_generic_parser(line: str) -> None:
    got = read_fast(0, line)
    if got is not None:
        assert as_tuple(got) == reference(line)
        # nor does it owe a dead letter: the generic path letters only attributes it never reads (the lake's)
        assert {r.metric for r in parse_line(line)[1]} <= {"Name", "extra"}


def test_unusual_lines_fall_back_to_the_generic_path() -> None:
    base = {
        "_aws": {
            "Timestamp": 1_795_014_000_000,
            "CloudWatchMetrics": [{"Metrics": [{"Name": "claude_code.commit.count"}]}],
        },
        "user.id": "u1",
        "claude_code.commit.count": 2,
    }
    assert read_fast(0, compact(base)) is not None
    unknown = base | {"claude_code.new.metric": 1}  # undeclared, unknown: kept generically
    assert read_fast(0, compact(unknown)) is None
    assert ("claude_code.new.metric", 1.0) in read_generic(0, compact(unknown))[0].values  # type: ignore[union-attr]
    negative = base | {"claude_code.commit.count": -1}
    assert read_fast(0, compact(negative)) is None
    line, rejected = read_generic(0, compact(negative))
    assert line is None and [r.reason for r in rejected] == ["negative_value"]


def test_what_the_generic_path_letters_where_the_fast_path_reads_is_never_taken_fast() -> None:
    """A null, a list or an object in an attribute it keeps or in `OTelLib`, and a unit that is not a
    string, count on the generic path with their dead letter; the fast path must not take such a line and leave the
    letter out. A resource attribute it never reads is the lake's to letter (the fast path takes the line)."""
    base = {
        "OTelLib": "com.anthropic.claude_code",
        "_aws": {
            "Timestamp": 1_795_014_000_000,
            "CloudWatchMetrics": [{"Dimensions": [["model"]], "Metrics": [{"Name": "claude_code.commit.count"}]}],
        },
        "model": "m",
        "host.name": "h",
        "claude_code.commit.count": 2,
    }
    assert read_fast(0, compact(base)) is not None
    unit = [{"Metrics": [{"Name": "claude_code.commit.count", "Unit": 7}]}]
    odd: dict[str, Any] = {
        "null kept attribute": base | {"model": None},
        "list kept attribute": base | {"user.email": ["a"]},
        "null OTelLib": base | {"OTelLib": None},
        "object OTelLib": base | {"OTelLib": {"k": 1}},
        "numeric unit": base | {"_aws": {**base["_aws"], "CloudWatchMetrics": unit}},
    }
    for case, doc in odd.items():
        line = compact(doc)
        letters = {r.reason for r in read_generic(0, line)[1]}
        assert letters & {"bad_attribute_type", "bad_unit"}, case
        assert read_fast(0, line) is None, case
    for value in (None, ["a"], {"k": "v"}):
        line = compact(base | {"host.name": value})
        assert [(r.metric, r.reason) for r in read_generic(0, line)[1]] == [("host.name", "bad_attribute_type")]
        assert read_fast(0, line) == read_generic(0, line)[0]


def compact(doc: object) -> str:
    """JSON as awsemf writes it: no spaces."""
    return json.dumps(doc, separators=(",", ":"))
