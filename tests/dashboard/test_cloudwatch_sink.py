"""`consumers/sink/cloudwatch.py`: MetricDatum dicts for one closed window, and chunked PutMetricData."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from consumers.aggregates.dimensions import signature_key, signature_of
from consumers.aggregates.partials import WindowPartial
from consumers.aws import AwsTarget
from consumers.sink.cloudwatch import (
    MAX_DATUMS_PER_CALL,
    NAMESPACE,
    CloudWatchPublisher,
    chunks,
    metric_data_for_window,
)

START = 1_795_212_000_000  # 2026-11-20T22:00:00Z
SONNET = "us.anthropic.claude-sonnet-4-20250514-v1:0"
OPUS = "us.anthropic.claude-opus-4-5-20251101-v1:0"
ENG = {"department": "engineering", "team.id": "payments", "cost_center": "cc1"}
OPS = {"department": "platform", "team.id": "infra-core"}

#: (attributes, metric, value) — the window's content, written out by hand.
POINTS = [
    ({**ENG, "model": SONNET, "type": "input"}, "claude_code.token.usage", 1000.0),
    ({**ENG, "model": SONNET, "type": "output"}, "claude_code.token.usage", 200.0),
    ({**ENG, "model": SONNET, "type": "cacheRead"}, "claude_code.token.usage", 9000.0),
    ({**ENG, "model": SONNET, "type": "cacheCreation"}, "claude_code.token.usage", 1000.0),
    ({**OPS, "model": OPUS, "type": "input"}, "claude_code.token.usage", 50.0),
    ({**OPS, "model": OPUS, "type": "cacheRead"}, "claude_code.token.usage", 3000.0),
    ({**ENG, "model": SONNET}, "claude_code.cost.usage", 0.25),
    ({**OPS, "model": OPUS}, "claude_code.cost.usage", 0.5),
    ({**ENG, "model": SONNET, "type": "added"}, "claude_code.lines_of_code.count", 40.0),
    ({**ENG, "type": "removed"}, "claude_code.lines_of_code.count", 7.0),
    (ENG, "claude_code.commit.count", 2.0),
    (OPS, "claude_code.pull_request.count", 1.0),
    ({**ENG, "tool_name": "Edit", "decision": "accept", "language": "Go"}, "claude_code.code_edit_tool.decision", 3.0),
    ({**OPS, "tool_name": "Write", "decision": "reject", "language": "Go"}, "claude_code.code_edit_tool.decision", 1.0),
    ({"user.id": "no-team-user", "model": SONNET, "type": "output"}, "claude_code.token.usage", 5.0),
]


def window() -> WindowPartial:
    partial = WindowPartial()
    for attrs, metric, value in POINTS:
        partial.add(signature_key(signature_of(attrs)), metric, value)
    return partial


def by_key(data: list[dict]) -> dict[tuple, float]:
    return {
        (d["MetricName"], tuple((x["Name"], x["Value"]) for x in d.get("Dimensions", []))): d["Value"] for d in data
    }


def test_totals_without_dimensions() -> None:
    got = by_key(metric_data_for_window(START, window()))
    assert got[("TotalTokens", ())] == 1000 + 200 + 9000 + 1000 + 50 + 3000 + 5
    assert got[("InputTokens", ())] == 1050
    assert got[("OutputTokens", ())] == 205
    assert got[("CacheReadTokens", ())] == 12000
    assert got[("CacheCreationTokens", ())] == 1000
    assert got[("CacheEfficiency", ())] == pytest.approx(100 * 12000 / 13000)
    assert (got[("LinesAdded", ())], got[("LinesRemoved", ())]) == (40, 7)
    assert (got[("Commits", ())], got[("PullRequests", ())]) == (2, 1)
    assert got[("CostUSD", ())] == pytest.approx(0.75)
    assert (got[("EditsAccepted", ())], got[("EditsRejected", ())]) == (3, 1)
    assert got[("Sessions", ())] == 0  # quiet totals are sent as zeros, not left out


def test_per_shard_publishers_can_leave_out_the_ratio() -> None:
    names = {d["MetricName"] for d in metric_data_for_window(START, window(), ratios=False)}
    assert "CacheEfficiency" not in names and {"CacheReadTokens", "CacheCreationTokens"} <= names


def test_dimensions_are_only_department_team_and_model() -> None:
    data = metric_data_for_window(START, window())
    dimension_sets = {tuple(x["Name"] for x in d.get("Dimensions", [])) for d in data}
    assert dimension_sets == {(), ("model",), ("department",), ("department", "team.id")}
    got = by_key(data)
    assert got[("TotalTokens", (("model", SONNET),))] == 11205
    assert ("OutputTokens", (("model", OPUS),)) not in got  # zero dimensional values are not sent
    assert got[("CacheReadTokens", (("model", OPUS),))] == 3000
    assert got[("TotalTokens", (("department", "engineering"), ("team.id", "payments")))] == 11200
    assert got[("TotalTokens", (("department", "platform"),))] == 3050
    assert got[("Commits", (("department", "engineering"),))] == 2
    assert got[("CostUSD", (("department", "platform"), ("team.id", "infra-core")))] == pytest.approx(0.5)
    assert not any("user" in json.dumps(d.get("Dimensions", [])) for d in data)


def test_every_datum_is_a_valid_put_metric_data_entry() -> None:
    for d in metric_data_for_window(START, window()):
        assert d["Timestamp"] == datetime(2026, 11, 20, 22, 0, tzinfo=UTC)
        assert d["StorageResolution"] == 60
        assert d["Unit"] in {"Count", "Percent", "Seconds", "None"}
        assert isinstance(d["Value"], float)
        assert all(0 < len(x["Value"]) <= 1024 for x in d.get("Dimensions", []))


def test_chunks_respect_count_and_size_limits() -> None:
    small = [{"MetricName": "M", "Value": float(i)} for i in range(2_500)]
    parts = chunks(small)
    assert [len(p) for p in parts] == [MAX_DATUMS_PER_CALL, MAX_DATUMS_PER_CALL, 500]
    big = [{"MetricName": "M", "Dimensions": [{"Name": "model", "Value": "x" * 1000}] * 10, "Value": 1.0}] * 300
    parts = chunks(big, max_bytes=100_000)
    assert sum(len(p) for p in parts) == 300
    assert all(len(json.dumps(p)) <= 100_000 for p in parts)
    assert len(parts) > 1


class RecordingClient:
    def __init__(self) -> None:
        self.calls: list[dict] = []

    def put_metric_data(self, **kwargs: object) -> None:
        self.calls.append(kwargs)


def test_publisher_sends_every_datum_once_under_the_namespace() -> None:
    client = RecordingClient()
    data = [{"MetricName": "M", "Value": 1.0}] * 1_001
    assert CloudWatchPublisher(client).publish(data) == 2
    assert [c["Namespace"] for c in client.calls] == [NAMESPACE, NAMESPACE]
    assert sum(len(c["MetricData"]) for c in client.calls) == 1_001


@pytest.mark.emulator
def test_published_window_reads_back_from_cloudwatch(aws: AwsTarget) -> None:
    cw = aws.client("cloudwatch")
    start = START + 7 * 86_400_000  # a window no other test publishes
    CloudWatchPublisher(cw).publish_window(start, window())
    t = datetime.fromtimestamp(start / 1000, UTC)

    def total(name: str, dims: list[dict[str, str]]) -> float:
        resp = cw.get_metric_data(
            MetricDataQueries=[
                {
                    "Id": "q",
                    "MetricStat": {
                        "Metric": {"Namespace": "ClaudeCode", "MetricName": name, "Dimensions": dims},
                        "Period": 60,
                        "Stat": "Sum",
                    },
                }
            ],
            StartTime=t - timedelta(minutes=1),
            EndTime=t + timedelta(minutes=2),
        )
        return sum(resp["MetricDataResults"][0]["Values"])

    # moto matches every metric whose dimensions *include* the requested ones (CloudWatch matches the exact
    # set), so only queries naming a full dimension set are unambiguous here.
    assert total("TotalTokens", [{"Name": "model", "Value": OPUS}]) == 3050
    assert total("TotalTokens", [{"Name": "model", "Value": SONNET}]) == 11205
    team = [{"Name": "department", "Value": "engineering"}, {"Name": "team.id", "Value": "payments"}]
    assert total("LinesAdded", team) == 40
    assert total("CostUSD", team) == pytest.approx(0.25)
