"""The collector model (`consumers.generate.emf_writer`) against captured real output: every line the real collector
wrote for the committed OTLP captures (simulated developers and the real Claude Code CLI) is reproduced from that
OTLP, byte for byte (a merged line's `Metrics` entries may come in Go's map order, so those compare with their
entries sorted). The live proof, with the collector running, is test_collector_vs_writer.py."""

from __future__ import annotations

import base64
import gzip
import json
from collections import Counter
from pathlib import Path

import pytest

from consumers.generate.collector_rules import load_rules
from consumers.generate.emf_writer import EmfWriter, format_number
from schemas.emf import parse_line

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
T = 1_796_428_800_000  # 2026-12-05T00:00:00Z


def canonical(line: str) -> str:
    doc = json.loads(line)
    for directive in doc.get("_aws", {}).get("CloudWatchMetrics", []):
        directive["Metrics"].sort(key=lambda m: m["Name"])
    return json.dumps(doc, sort_keys=True)


def assert_same_lines(mine: list[str], real: list[str]) -> None:
    """Equal as multisets of canonical lines, equal byte lengths, and byte-identical where one metric is declared."""
    assert Counter(map(canonical, mine)) == Counter(map(canonical, real))
    assert Counter(map(len, mine)) == Counter(map(len, real))
    single = [line for line in real if line.count('"StorageResolution"') <= 1]
    assert not Counter(single) - Counter(mine)


def _model_lines(otlp_lines: list[str]) -> list[str]:
    writer = EmfWriter()
    return [text for line in otlp_lines for _, text in writer.lines_of_request(json.loads(line))]


def test_midnight_capture_is_reproduced_from_its_otlp() -> None:
    otlp = gzip.decompress((FIXTURES / "midnight.otlp.jsonl.gz").read_bytes()).decode().splitlines()
    real = []
    for row in (FIXTURES / "midnight.kinesis.jsonl").read_text().splitlines():
        env = json.loads(gzip.decompress(base64.b64decode(json.loads(row)["Data"])))
        real += [event["message"] for event in env["logEvents"]]
    assert len(real) > 5000
    assert_same_lines(_model_lines(otlp), real)


def test_collector_capture_is_reproduced_from_its_otlp() -> None:
    otlp = (FIXTURES / "collector.otlp.jsonl").read_text().splitlines()
    real = (FIXTURES / "collector.emf.ndjson").read_text().splitlines()
    assert_same_lines(_model_lines(otlp), real)


def test_real_cli_capture_is_reproduced_from_what_the_cli_sent() -> None:
    """The real Claude Code CLI's OTLP (the collector's tap) and the lines the collector wrote for it."""
    otlp = [line for line in (FIXTURES / "realcli" / "realcli.otlp.jsonl").read_text().splitlines() if line]
    metrics = [line for line in otlp if "resourceMetrics" in json.loads(line)]
    real = (FIXTURES / "realcli" / "realcli.emf.ndjson").read_text().splitlines()
    assert len(real) > 50
    assert_same_lines(_model_lines(metrics), real)


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


def test_rules_come_from_the_collector_config() -> None:
    rules = load_rules(environment="prod")
    assert rules.namespace == "ClaudeCode" and rules.rollup == "NoDimensionRollup"
    writer = EmfWriter(rules)
    doc = json.loads(writer.line(1, {"model": "m", "type": "input"}, {"claude_code.token.usage": 5}))
    # defaults of the attributes processor, the resource processor's environment, awsemf's scope label
    assert (doc["department"], doc["team.id"], doc["cost_center"]) == ("unspecified", "default-team", "general")
    assert doc["deployment.environment"] == "prod" and doc["OTelLib"] == "com.anthropic.claude_code"
    assert doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [
        ["department"],
        ["department", "team.id"],
        ["cost_center"],
        ["model"],
        ["model", "type"],
    ]
    assert doc["_aws"]["CloudWatchMetrics"][0]["Metrics"] == [
        {"Name": "claude_code.token.usage", "Unit": "tokens", "StorageResolution": 60}
    ]


def test_keys_sorted_go_escapes_units_and_undeclared_metrics() -> None:
    writer = EmfWriter()
    line = writer.line(T, {"team.id": "R&D <core>", "user.name": "Zoë"}, {"claude_code.active_time.total": 2.5})
    assert '"team.id":"R\\u0026D \\u003ccore\\u003e"' in line and '"user.name":"Zoë"' in line
    keys = [k for k, _ in json.loads(line, object_pairs_hook=list)]
    assert keys == sorted(keys)
    assert json.loads(line)["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] == "Seconds"
    undeclared = json.loads(writer.line(1, {}, {"other.metric": 1}))  # no declaration selects it: no _aws
    assert "_aws" not in undeclared and "Version" not in undeclared and undeclared["other.metric"] == 1
    points, rejected = parse_line(line)
    assert [(p.metric, p.value) for p in points] == [("claude_code.active_time.total", 2.5)] and rejected == []
