"""The simulator: valid EMF, realistic structure and ratios, deterministic by seed."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from typing import Any

import pytest

from consumers.generate import EmfLine, build_population, collector_log_stream, simulate
from schemas.emf import parse_line

#: Monday 2026-11-23T14:00Z: working hours in Europe and on the US east coast.
START_MS = 1_795_442_400_000
MINUTES = 90
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

#: USD per million tokens from shared/reference/platform.md, keyed by the model ids the simulator uses.
LIST_PRICES = {
    "opus45": {"input": 5, "cacheCreation": 6.25, "cacheRead": 0.5, "output": 25},
    "opus41": {"input": 15, "cacheCreation": 18.75, "cacheRead": 1.5, "output": 75},
    "sonnet": {"input": 3, "cacheCreation": 3.75, "cacheRead": 0.3, "output": 15},
    "haiku45": {"input": 1, "cacheCreation": 1.25, "cacheRead": 0.1, "output": 5},
    "haiku35": {"input": 0.8, "cacheCreation": 1, "cacheRead": 0.08, "output": 4},
}
MODEL_FAMILY = {
    "us.anthropic.claude-sonnet-4-5-20250929-v1:0": "sonnet",
    "global.anthropic.claude-sonnet-4-5-20250929-v1:0": "sonnet",
    "us.anthropic.claude-opus-4-5-20251101-v1:0": "opus45",
    "us.anthropic.claude-sonnet-4-20250514-v1:0": "sonnet",
    "us.anthropic.claude-opus-4-1-20250805-v1:0": "opus41",
    "us.anthropic.claude-3-7-sonnet-20250219-v1:0": "sonnet",
    "global.anthropic.claude-haiku-4-5-20251001-v1:0": "haiku45",
    "us.anthropic.claude-3-5-haiku-20241022-v1:0": "haiku35",
}
METRICS = {
    "claude_code.session.count",
    "claude_code.lines_of_code.count",
    "claude_code.pull_request.count",
    "claude_code.commit.count",
    "claude_code.cost.usage",
    "claude_code.token.usage",
    "claude_code.code_edit_tool.decision",
    "claude_code.active_time.total",
}
#: What the real collector writes on every line for the simulated CLI (collector/config.yaml, the trim applied).
ALWAYS_PRESENT = (
    "session.id", "user.id", "terminal.type", "user.name", "department", "team.id", "cost_center", "organization",
    "location", "role", "manager", "service.name", "service.version", "anthropic.provider", "deployment.environment",
)  # fmt: skip
TRIMMED = ("os.type", "os.version", "host.arch", "user.account_uuid", "user.account_id", "anthropic.custom_base_url")


@pytest.fixture(scope="module")
def lines() -> list[EmfLine]:
    return list(simulate(60, MINUTES, START_MS, seed=11))


@pytest.fixture(scope="module")
def docs(lines: list[EmfLine]) -> list[dict[str, Any]]:
    return [json.loads(line.line) for line in lines]


def _metrics(doc: dict[str, Any]) -> list[str]:
    return [k for k in doc if k.startswith("claude_code.")]


def test_every_line_parses_without_rejections(lines: list[EmfLine]) -> None:
    assert len(lines) > 1000
    for line in lines:
        points, rejected = parse_line(line.line)
        assert points
        assert rejected == []
        assert all(p.timestamp_ms == line.timestamp_ms for p in points)


def test_timestamps_are_in_range_and_ordered(lines: list[EmfLine], docs: list[dict[str, Any]]) -> None:
    stamps = [line.timestamp_ms for line in lines]
    assert stamps == sorted(stamps)
    assert stamps[0] >= START_MS and stamps[-1] < START_MS + MINUTES * 60_000
    assert all(doc["_aws"]["Timestamp"] == line.timestamp_ms for doc, line in zip(docs, lines, strict=True))


def test_one_export_per_session_per_minute_at_a_fixed_phase(docs: list[dict[str, Any]]) -> None:
    stamps_by_minute: dict[tuple[str, int], set[int]] = defaultdict(set)
    phases: dict[str, set[int]] = defaultdict(set)
    for doc in docs:
        ts = doc["_aws"]["Timestamp"]
        stamps_by_minute[(doc["session.id"], (ts - START_MS) // 60_000)].add(ts)
        phases[doc["session.id"]].add((ts - START_MS) % 60_000)
    assert all(len(s) == 1 for s in stamps_by_minute.values())
    assert all(len(p) == 1 for p in phases.values())


def test_log_stream_is_the_collector_stream_of_the_session(lines: list[EmfLine], docs: list[dict[str, Any]]) -> None:
    assert all(
        line.log_stream == collector_log_stream(doc["session.id"]) for line, doc in zip(lines, docs, strict=True)
    )
    assert len({line.log_stream for line in lines}) >= 2
    assert all(re.fullmatch(r"otel-stream-[0-9a-f]{32}", line.log_stream) for line in lines)


def test_attributes(docs: list[dict[str, Any]]) -> None:
    for doc in docs:
        assert doc["OTelLib"] == "com.anthropic.claude_code"
        assert doc["Version"] == "1"
        assert doc["service.name"] == "claude-code"
        for key in ALWAYS_PRESENT:
            assert isinstance(doc[key], str) and doc[key], key
        assert not set(TRIMMED) & doc.keys()
        assert re.fullmatch(r"[0-9a-f]{64}", doc["user.id"]) and UUID.match(doc["session.id"])  # a device id
    assert any("user.email" not in doc for doc in docs)
    assert any("user.email" in doc for doc in docs)


def test_about_15_percent_of_users_have_no_email() -> None:
    users = build_population(200, seed=3)
    without = [u for u in users if "user.email" not in u.labels]
    assert len(without) == 30
    emails = [u.labels["user.email"] for u in users if "user.email" in u.labels]
    assert len(set(emails)) == len(emails)
    assert len({u.labels["user.id"] for u in users}) == 200


def test_all_eight_metrics_and_four_token_types(docs: list[dict[str, Any]]) -> None:
    seen = Counter(m for doc in docs for m in _metrics(doc))
    assert set(seen) == METRICS
    token_types = {doc["type"] for doc in docs if "claude_code.token.usage" in doc}
    assert token_types == {"input", "output", "cacheRead", "cacheCreation"}
    assert {doc["model"] for doc in docs if "model" in doc} <= set(MODEL_FAMILY)
    assert len({doc["model"] for doc in docs if "model" in doc}) >= 4


def test_cache_reads_dominate_tokens(docs: list[dict[str, Any]]) -> None:
    by_type: Counter[str] = Counter()
    for doc in docs:
        if "claude_code.token.usage" in doc:
            by_type[doc["type"]] += doc["claude_code.token.usage"]
    total = sum(by_type.values())
    assert by_type["cacheRead"] / total > 0.8
    assert by_type["cacheCreation"] > by_type["input"]


def test_cost_matches_list_prices_within_client_noise(docs: list[dict[str, Any]]) -> None:
    expected: dict[tuple[str, int, str], float] = defaultdict(float)
    for doc in docs:
        if "claude_code.token.usage" in doc:
            price = LIST_PRICES[MODEL_FAMILY[doc["model"]]][doc["type"]]
            key = (doc["session.id"], doc["_aws"]["Timestamp"], doc["model"])
            expected[key] += doc["claude_code.token.usage"] * price / 1e6
    costs = {
        (doc["session.id"], doc["_aws"]["Timestamp"], doc["model"]): doc["claude_code.cost.usage"]
        for doc in docs
        if "claude_code.cost.usage" in doc
    }
    assert costs.keys() == expected.keys()
    for key, cost in costs.items():
        assert cost == pytest.approx(expected[key], rel=0.01)


def test_counts_are_positive_integers_and_attributes_are_complete(docs: list[dict[str, Any]]) -> None:
    for doc in docs:
        for metric in _metrics(doc):
            value = doc[metric]
            assert value > 0
            if metric != "claude_code.cost.usage" and metric != "claude_code.active_time.total":
                assert isinstance(value, int)
        if "claude_code.code_edit_tool.decision" in doc:
            assert doc["tool_name"] in {"Edit", "Write", "NotebookEdit"}
            assert doc["decision"] in {"accept", "reject"}
            assert doc["source"] and doc["language"]
        if "claude_code.active_time.total" in doc:
            assert doc["type"] in {"user", "cli"}
            assert doc["claude_code.active_time.total"] <= 60
        if "claude_code.lines_of_code.count" in doc:
            assert doc["type"] in {"added", "removed"}
            assert ("model" in doc) == doc["service.version"].startswith("2.")


def test_equal_labels_share_a_line(docs: list[dict[str, Any]]) -> None:
    merged = [doc for doc in docs if len(_metrics(doc)) > 1]
    assert merged
    assert all(set(_metrics(doc)) <= {"claude_code.commit.count", "claude_code.pull_request.count",
                                      "claude_code.session.count"} for doc in merged)  # fmt: skip
    label_sets = Counter(
        (doc["_aws"]["Timestamp"], tuple(sorted((k, v) for k, v in doc.items() if k != "_aws" and k not in METRICS)))
        for doc in docs
    )
    assert max(label_sets.values()) == 1


def test_same_seed_same_output_other_seed_other_output(lines: list[EmfLine]) -> None:
    assert list(simulate(60, MINUTES, START_MS, seed=11)) == lines
    assert list(simulate(60, MINUTES, START_MS, seed=12)) != lines
