"""The real collector (built from collector/ by `make collector`) against the emulator: what it writes, refuses, taps.

Inputs are hand-built OTLP/HTTP JSON requests shaped like the CLI's; expected values are the inputs themselves.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from consumers.collector.build import collector_binary
from consumers.collector.process import free_port, start_collector
from consumers.emulator import EmbeddedEmulator
from consumers.errors import CcstreamError, ConfigError
from tests.collector.conftest import CollectorUnderTest, metric_lines, tap_requests
from tests.collector.grpc_call import export_empty_metrics
from tests.collector.otlp_requests import CUMULATIVE, PER_PERSON, PERSON, Point, api_request_event, metrics_request

SONNET = "claude-sonnet-4-5"
#: One point of each of the CLI's 8 metrics, every label set distinct (so each point is one awsemf line).
CLI_POINTS = [
    Point("claude_code.token.usage", "tokens", 1200.0, {"model": SONNET, "type": "input"}),
    Point("claude_code.token.usage", "tokens", 345.0, {"model": SONNET, "type": "output"}),
    Point("claude_code.cost.usage", "USD", 0.0123, {"model": SONNET, "query_source": "main"}),
    Point("claude_code.lines_of_code.count", "", 4.0, {"model": SONNET, "type": "added"}),
    Point("claude_code.session.count", "", 1.0, {"start_type": "fresh"}),
    Point("claude_code.active_time.total", "s", 12.5, {"type": "cli"}),
    Point("claude_code.commit.count", "", 1.0, {}),
    Point(
        "claude_code.code_edit_tool.decision",
        "",
        1.0,
        {"decision": "accept", "source": "config", "tool_name": "Edit", "language": "Python"},
    ),
]
#: awsemf's unit mapping (real-telemetry.md §4).
EXPECTED_UNIT = {"tokens": "tokens", "USD": "USD", "s": "Seconds", "": ""}
#: The aggregate labels config.yaml declares as dimensions.
AGGREGATE = {"department", "team.id", "organization", "cost_center", "model", "type"}


def _minute_ns(minutes_ago: int) -> int:
    """A whole-second time a few minutes back, distinct per test so each test finds its own lines."""
    return (int(time.time()) - 60 * minutes_ago) * 1_000_000_000


def _at(time_ms: int):  # type: ignore[no-untyped-def]
    return lambda event: event["timestamp"] == time_ms


def test_lines_are_awsemf_output_with_aggregate_dimensions_only(running: CollectorUnderTest) -> None:
    # No x-organization header: the [organization] set is left out of every line (awsemf keeps only the declared
    # sets whose labels the point has); cost_center and department get ccstream_identity's defaults.
    time_ns = _minute_ns(3)
    time_ms = time_ns // 1_000_000
    assert running.post("/v1/metrics", metrics_request(CLI_POINTS, time_ns)) == 200

    found = running.wait_for_events(running.metrics_group, len(CLI_POINTS), _at(time_ms))
    assert {stream for stream, _ in found} == {f"otel-stream-{running.task_id}"}
    lines = metric_lines(found)
    assert len(lines) == len(CLI_POINTS)
    for point in CLI_POINTS:
        (line,) = [ln for ln in lines if point.metric in ln and all(ln.get(k) == v for k, v in point.attrs.items())]
        assert line[point.metric] == point.value
        assert list(line) == sorted(line), "awsemf writes keys in byte order"
        assert line["user.email"] == PERSON["user.email"] and line["session.id"] == PERSON["session.id"]
        assert line["service.name"] == "claude-code" and line["OTelLib"] == "com.anthropic.claude_code"
        aws = line["_aws"]
        assert aws["Timestamp"] == time_ms
        (directive,) = aws["CloudWatchMetrics"]
        assert directive["Namespace"] == "ClaudeCode"
        assert directive["Metrics"] == [
            {"Name": point.metric, "Unit": EXPECTED_UNIT[point.unit], "StorageResolution": 60}
        ]
        names = {name for dims in directive["Dimensions"] for name in dims}
        assert not names & PER_PERSON
        assert names <= AGGREGATE
    token_line = next(ln for ln in lines if ln.get("type") == "input")
    assert token_line["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [
        ["department"],
        ["department", "team.id"],
        ["cost_center"],
        ["model"],
        ["model", "type"],
    ]


def test_cumulative_sums_are_refused_and_counted(running: CollectorUnderTest) -> None:
    time_ns = _minute_ns(5)
    time_ms = time_ns // 1_000_000
    cumulative = [
        Point("claude_code.token.usage", "tokens", 1000.0, {"model": SONNET, "type": "input"}, CUMULATIVE),
        Point("claude_code.token.usage", "tokens", 2000.0, {"model": SONNET, "type": "output"}, CUMULATIVE),
    ]
    marker = Point("claude_code.commit.count", "", 3.0, {})
    before = running.collector.refused_cumulative_points()
    assert running.post("/v1/metrics", metrics_request([*cumulative, marker], time_ns)) == 200

    lines = metric_lines(running.wait_for_events(running.metrics_group, 1, _at(time_ms)))
    assert [ln["claude_code.commit.count"] for ln in lines] == [3.0]
    assert not any("claude_code.token.usage" in ln for ln in lines)
    assert running.collector.refused_cumulative_points() - before == len(cumulative)
    assert "debug/refused_cumulative" in running.collector.log_text()


def _points_of(request: dict) -> set[tuple[str, int, float, frozenset[tuple[str, str]], str]]:  # type: ignore[type-arg]
    out = set()
    for rm in request.get("resourceMetrics", []):
        for sm in rm["scopeMetrics"]:
            for m in sm["metrics"]:
                for dp in m["sum"]["dataPoints"]:
                    attrs = frozenset((a["key"], a["value"]["stringValue"]) for a in dp["attributes"])
                    out.add((m["name"], m["sum"]["aggregationTemporality"], dp["asDouble"], attrs, dp["timeUnixNano"]))
    return out


def test_file_tap_holds_exactly_what_was_received(running: CollectorUnderTest) -> None:
    time_ns = _minute_ns(7)
    points = [
        *CLI_POINTS[:2],
        Point("claude_code.token.usage", "tokens", 7.0, {"model": SONNET, "type": "cacheRead"}, CUMULATIVE),
    ]
    body = metrics_request(points, time_ns)
    assert running.post("/v1/metrics", body) == 200
    sent = _points_of(json.loads(body))

    tap = running.collector.file_tap
    assert tap is not None
    deadline = time.monotonic() + 30
    tapped: set = set()  # type: ignore[type-arg]
    while time.monotonic() < deadline and not sent <= tapped:
        tapped = set().union(*(_points_of(r) for r in tap_requests(tap))) if tap.exists() else set()
        time.sleep(0.2)
    mine = {p for p in tapped if p[4] == str(time_ns)}
    assert mine == sent, "the tap keeps every point as sent, the refused cumulative one included"


def test_events_land_in_the_events_group(running: CollectorUnderTest) -> None:
    time_ns = _minute_ns(9)
    assert running.post("/v1/logs", api_request_event(time_ns, cost_usd=0.0456)) == 200

    found = running.wait_for_events(running.events_group, 1, _at(time_ns // 1_000_000))
    assert [stream for stream, _ in found] == [f"events-{running.task_id}"]
    message = json.loads(found[0][1]["message"])
    assert message["body"] == "claude_code.api_request"
    assert message["attributes"]["input_tokens"] == 1200
    assert "cost_usd" not in message["attributes"]  # transform/events_trim: ccstream reads cost_usd_micros only
    assert message["attributes"]["user.email"] == PERSON["user.email"]
    metric_events = running.events(running.metrics_group)
    assert not any(e["timestamp"] == time_ns // 1_000_000 for _, e in metric_events)


def test_bearer_auth_rejects_requests_without_the_token(emulator: EmbeddedEmulator, tmp_path: Path) -> None:
    token = uuid.uuid4().hex
    group = f"/test/collector-auth-{uuid.uuid4().hex[:8]}"
    with start_collector(
        endpoint_url=emulator.url,
        region="us-east-1",
        http_port=free_port(),
        auth="bearer",
        bearer_token=token,
        metrics_log_group=group,
        events_log_group=group + "-events",
        log_file=tmp_path / "collector.log",
    ) as collector:
        body = metrics_request(CLI_POINTS[:1], _minute_ns(2))

        def post(headers: dict[str, str]) -> int:
            req = urllib.request.Request(
                collector.otlp_http_url + "/v1/metrics", body, {"Content-Type": "application/json", **headers}
            )
            try:
                with urllib.request.urlopen(req, timeout=10) as resp:
                    return int(resp.status)
            except urllib.error.HTTPError as exc:
                return int(exc.code)

        assert post({}) == 401
        assert post({"Authorization": "Bearer wrong"}) == 401
        assert post({"Authorization": f"Bearer {token}"}) == 200
        # The gRPC receiver has the same authenticator (16 = UNAUTHENTICATED).
        assert export_empty_metrics(collector.otlp_grpc_endpoint) == 16
        assert export_empty_metrics(collector.otlp_grpc_endpoint, token="wrong") == 16
        assert export_empty_metrics(collector.otlp_grpc_endpoint, token=token) == 0


def test_the_grpc_receiver_answers(running: CollectorUnderTest) -> None:
    assert export_empty_metrics(running.collector.otlp_grpc_endpoint) == 0


def test_oidc_without_an_issuer_is_refused_with_the_reason() -> None:
    with pytest.raises(ConfigError, match=r"--auth oidc needs an issuer and an audience"):
        start_collector(endpoint_url="http://127.0.0.1:1", region="us-east-1", auth="oidc")


def test_missing_binary_names_make_collector(tmp_path: Path) -> None:
    with pytest.raises(CcstreamError, match="make collector"):
        collector_binary(tmp_path)


def test_the_built_binary_is_there() -> None:
    assert collector_binary().is_file()
