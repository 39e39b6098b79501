"""The EMF writer reproduces awsemf's layout: sorted keys, metric values last, Go number formatting."""

from __future__ import annotations

import json

import pytest

from consumers.generate.emf_writer import EmfWriter, LabelSet, format_number
from schemas.emf import parse_line

#: The example line of shared/reference/telemetry.md, verbatim.
REFERENCE_LINE = (
    '{"OTelLib":"com.anthropic.claude_code","Version":"1","_aws":{"CloudWatchMetrics":[{"Namespace":"ClaudeCode",'
    '"Dimensions":[["OTelLib"],["OTelLib","department"],["OTelLib","model"],["OTelLib","type"]],"Metrics":'
    '[{"Name":"claude_code.token.usage","Unit":"tokens"}]}],"Timestamp":1755785100000},"cost_center":"general",'
    '"department":"engineering","model":"us.anthropic.claude-sonnet-4-20250514-v1:0","organization":"okta",'
    '"service.name":"claude-code","service.version":"1.0.86","session.id":"8c1f4e2a-6b7d-4c55-9e0a-2f3b1d9c7a41",'
    '"team.id":"default-team","terminal.type":"vscode","type":"input","user.email":"jane.doe@example.com",'
    '"user.id":"5e3b2c1a-9f8d-4a7b-b6c5-d4e3f2a1b0c9","claude_code.token.usage":1523}'
)
REFERENCE_LABELS = {
    "user.id": "5e3b2c1a-9f8d-4a7b-b6c5-d4e3f2a1b0c9",
    "user.email": "jane.doe@example.com",
    "type": "input",
    "terminal.type": "vscode",
    "team.id": "default-team",
    "session.id": "8c1f4e2a-6b7d-4c55-9e0a-2f3b1d9c7a41",
    "service.version": "1.0.86",
    "service.name": "claude-code",
    "organization": "okta",
    "model": "us.anthropic.claude-sonnet-4-20250514-v1:0",
    "department": "engineering",
    "cost_center": "general",
}


def test_reproduces_the_reference_line_byte_for_byte() -> None:
    line = EmfWriter().line(1755785100000, REFERENCE_LABELS, {"claude_code.token.usage": 1523.0})
    assert line == REFERENCE_LINE


def test_extra_labels_of_a_label_set_land_in_sorted_position() -> None:
    base = {k: v for k, v in REFERENCE_LABELS.items() if k not in ("model", "type")}
    extra = (("model", REFERENCE_LABELS["model"]), ("type", "input"))
    line = EmfWriter().line(1755785100000, LabelSet(base), {"claude_code.token.usage": 1523}, extra)
    assert line == REFERENCE_LINE


def test_an_extra_label_replaces_a_base_label_of_the_same_name() -> None:
    line = EmfWriter().line(1, LabelSet({"type": "old", "a": "1"}), {"claude_code.commit.count": 1}, (("type", "new"),))
    doc = json.loads(line)
    assert doc["type"] == "new"
    assert line.count('"type"') == 1


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1523.0, "1523"),
        (3, "3"),
        (0.0, "0"),
        (12.5, "12.5"),
        (0.00003, "0.00003"),
        (0.0000015, "0.0000015"),
        (1e-7, "1e-7"),
        (2.5e-10, "2.5e-10"),
        (1e21, "1e+21"),
        (2.5e22, "2.5e+22"),
        (123456789012345678.0, "123456789012345680"),
        (0.30000000000000004, "0.30000000000000004"),
    ],
)
def test_numbers_are_written_like_go_encoding_json(value: float, text: str) -> None:
    assert format_number(value) == text


def test_merged_line_has_all_metric_values_last_and_one_directive_per_dimension_list() -> None:
    labels = {"department": "eng", "team.id": "t", "organization": "okta", "user.id": "u"}
    line = EmfWriter().line(
        1_795_215_600_000,
        labels,
        {"claude_code.pull_request.count": 1, "claude_code.commit.count": 2, "claude_code.session.count": 1},
    )
    pairs = json.loads(line, object_pairs_hook=list)
    keys = [k for k, _ in pairs]
    metric_keys = ["claude_code.commit.count", "claude_code.pull_request.count", "claude_code.session.count"]
    assert keys[-3:] == metric_keys
    assert keys[:-3] == sorted(keys[:-3])
    assert keys[:3] == ["OTelLib", "Version", "_aws"]
    aws = dict(dict(pairs)["_aws"])
    directives = [dict(d) for d in aws["CloudWatchMetrics"]]
    assert len(directives) == 1
    assert [k for k, _ in aws["CloudWatchMetrics"][0]] == ["Namespace", "Dimensions", "Metrics"]
    assert [dict(m)["Name"] for m in directives[0]["Metrics"]] == metric_keys
    assert directives[0]["Dimensions"] == [
        ["OTelLib"],
        ["OTelLib", "department"],
        ["OTelLib", "organization"],
        ["OTelLib", "team.id"],
    ]
    points, rejected = parse_line(line)
    assert sorted((p.metric, p.value) for p in points) == [
        ("claude_code.commit.count", 2.0),
        ("claude_code.pull_request.count", 1.0),
        ("claude_code.session.count", 1.0),
    ]
    assert rejected == []


def test_units_follow_awsemf() -> None:
    writer = EmfWriter()
    units = {}
    for metric in ("claude_code.active_time.total", "claude_code.cost.usage", "claude_code.token.usage",
                   "claude_code.commit.count"):  # fmt: skip
        doc = json.loads(writer.line(1, {"type": "cli"}, {metric: 1}))
        units[metric] = doc["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"]
    assert units == {
        "claude_code.active_time.total": "Seconds",
        "claude_code.cost.usage": "USD",
        "claude_code.token.usage": "tokens",
        "claude_code.commit.count": "Count",
    }


def test_dimensions_skip_labels_the_line_does_not_have() -> None:
    doc = json.loads(EmfWriter().line(1, {"model": "m"}, {"claude_code.token.usage": 5}))
    assert doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["OTelLib"], ["OTelLib", "model"]]
