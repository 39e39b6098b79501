"""An empty EMF value array (`"claude_code.commit.count": []`) is a dead letter, not a line that silently vanishes
(found by tests/hostile/test_decode_mutations.py: the line gave neither a point nor a letter)."""

from __future__ import annotations

import json

from consumers.decode.lines import read_generic
from schemas.emf import parse_line

DIRECTIVE = {"Metrics": [{"Name": "claude_code.commit.count"}]}
BASE = {"_aws": {"Timestamp": 1_795_215_600_000, "CloudWatchMetrics": [DIRECTIVE]}, "user.id": "u1"}


def test_an_empty_value_array_alone_is_a_missing_value_letter() -> None:
    line = json.dumps(BASE | {"claude_code.commit.count": []})
    points, rejected = parse_line(line)
    assert points == [] and [(r.metric, r.reason) for r in rejected] == [("claude_code.commit.count", "missing_value")]
    assert read_generic(0, line) == (None, rejected)


def test_beside_a_good_value_the_line_still_counts() -> None:
    line = json.dumps(BASE | {"claude_code.commit.count": [], "claude_code.session.count": 1})
    points, rejected = parse_line(line)
    assert [(p.metric, p.value) for p in points] == [("claude_code.session.count", 1.0)]
    assert [r.reason for r in rejected] == ["missing_value"]
