"""The real Claude Code CLI end to end: CLI → real collector → moto CloudWatch Logs → subscription → Kinesis →
real KCL (aggregator and lake) → DynamoDB and the Parquet lake.

The CLI runs headless against a scripted fake Messages API on loopback (tests/realcli/fake_anthropic.py), one
fresh HOME per developer, with every proxy pointed at a loopback trap. Expected values come from
tests/realcli/oracle.py, which reads only the OTLP JSON the collector's file tap wrote.
"""

from __future__ import annotations

import json
import math
import os
import socket
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from consumers.aggregates.dimensions import GROUPABLE_ATTRIBUTES
from consumers.athena.views import ALL_VIEW
from consumers.aws import AwsTarget
from consumers.config import Names
from consumers.emulator import EmbeddedEmulator
from consumers.kcl.runner import run_consumers, standard_apps
from consumers.query.api import query_metric
from tests.e2e.harness import Stack, deployed_stack
from tests.realcli import oracle, recording
from tests.realcli.cli import installed_binary
from tests.realcli.fake_anthropic import FakeAnthropic
from tests.realcli.scenarios import DEVELOPERS, INVOCATIONS, scripts
from tests.realcli.session import CliSession, cli_session

pytestmark = [pytest.mark.kcl, pytest.mark.emulator]

# The event checks (issue 16) run on the same delivery: one CLI session, one consume.
from tests.realcli.events_checks import (  # noqa: E402, F401
    test_event_aggregates_equal_the_otlp_log_records,
    test_event_scenarios_show_what_happened,
    test_events_cost_reconciles_with_the_metrics,
)

CLAUDE_METRICS = {
    "claude_code.session.count",
    "claude_code.lines_of_code.count",
    "claude_code.cost.usage",
    "claude_code.token.usage",
    "claude_code.code_edit_tool.decision",
    "claude_code.active_time.total",
    "claude_code.commit.count",
    "claude_code.pull_request.count",
}
#: The only connection the CLI tries past a proxy: the OAuth profile check of a claude.ai login (refused by the trap).
OAUTH_PROFILE_CONNECT = "CONNECT api.anthropic.com:443 HTTP/1.1"
#: Lake columns the oracle's labels are compared on (column -> attribute).
LAKE_LABELS = {
    "model": "model",
    "type": "type",
    "department": "department",
    "team_id": "team.id",
    "session_id": "session.id",
    "user_id": "user.id",
    "user_email": "user.email",
    "query_source": "query_source",
    "tool_name": "tool_name",
    "decision": "decision",
    "start_type": "start_type",
    "agent_name": "agent.name",
}


@dataclass
class Delivered:
    stack: Stack
    session: CliSession
    requests: list[dict[str, Any]]
    #: As the CLI sent them (the tap) and as they leave the collector's processors (what the product gets).
    sent: list[oracle.OtlpPoint]
    points: list[oracle.OtlpPoint]
    consume_code: int
    lake_dir: Path
    emf_lines: list[str]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _emf_lines(aws: AwsTarget, group: str) -> list[str]:
    logs = aws.client("logs")
    lines: list[str] = []
    for page in logs.get_paginator("filter_log_events").paginate(logGroupName=group):
        lines += [e["message"] for e in page["events"]]
    return lines


@pytest.fixture(scope="module")
def delivered(emulator: EmbeddedEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Delivered]:
    binary = installed_binary()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("the real Claude Code CLI is not installed: `make claude-code` must run before the tests")
        pytest.skip("the real Claude Code CLI is not installed (run `make claude-code`)")
    from consumers.collector.process import start_collector

    aws = AwsTarget(endpoint_url=emulator.url, region="us-east-1")
    base = tmp_path_factory.mktemp("realcli")
    tap = base / "tap.jsonl"
    settings = {
        "CCSTREAM_SIZE_FLUSH_INTERVALS": "1h=2000,1d=2000",
        "CCSTREAM_USER_FLUSH_INTERVAL_MS": "2000",
        "CCSTREAM_LAKE_FLUSH_INTERVAL_MS": "1000",
        "CCSTREAM_LAKE_BUCKET": f"realcli-lake-{uuid.uuid4().hex[:8]}",
    }
    with deployed_stack(aws, base, **settings) as stack:
        collector = start_collector(
            endpoint_url=emulator.url,
            region="us-east-1",
            http_port=_free_port(),
            file_tap=tap,
            task_id="realcli",
            metrics_log_group=stack.names.log_group,
            events_log_group=f"{stack.names.log_group}-events",
            log_file=base / "collector.log",
        )
        try:
            with cli_session(binary, base / "devs", FakeAnthropic(scripts=scripts()), collector.otlp_http_url) as cli:
                for inv in INVOCATIONS:
                    cli.run(inv)
        finally:
            collector.stop()
        apps = standard_apps(stack.names, "everything", "ccstream-realcli", aws)  # + the events consumer
        code = run_consumers(aws, apps, log_dir=base / "logs", until_idle_s=3, timeout_s=240, poll_interval_s=0.5)
        requests = oracle.tap_requests(tap)
        emf_lines = _emf_lines(aws, stack.names.log_group)
        if os.environ.get(recording.SAVE_ENV):
            records = recording.kinesis_records(aws.client("kinesis"), stack.names.stream)
            recording.save(Path(os.environ[recording.SAVE_ENV]), tap, emf_lines, records)
        if os.environ.get(recording.SAVE_EVENTS_ENV):
            logs = recording.events_log(aws.client("logs"), stack.names.events_log_group)
            recording.save_events(Path(os.environ[recording.SAVE_EVENTS_ENV]), logs, tap)
        labels = oracle.CollectorLabels(deployment_environment=collector.settings.deployment_environment)
        yield Delivered(
            stack,
            cli,
            requests,
            list(oracle.metric_points(requests)),
            list(oracle.metric_points(requests, labels)),
            code,
            base / "lake",
            emf_lines,
        )


def test_every_scenario_ran_as_scripted(delivered: Delivered) -> None:
    outcomes = delivered.session.outcomes
    assert [o.invocation for o in outcomes] == INVOCATIONS
    for o in outcomes:
        assert (o.run.returncode == 0) == o.invocation.expect_ok, (o.invocation, o.run.stdout, o.run.stderr)
    log = delivered.session.fake.log
    assert {e.path.split("?")[0] for e in log} == {"/v1/messages"}, (
        "the CLI called an API path the fake does not script"
    )
    assert Counter(e.status for e in log if e.marker == "overloaded") == {529: 2}  # CLAUDE_CODE_MAX_RETRIES=1
    assert [e.status for e in log if e.marker == "flaky"] == [500, 200]
    assert any(e.marker == "sub_review" for e in log), "the subagent never called the API"
    oauth = {n for n, (_, _, email) in DEVELOPERS.items() if email}
    assert {e.auth for e in log if e.marker in ("pr", "subagent")} == {"bearer"} and "bob" in oauth
    assert {e.auth for e in log if e.marker in ("write_edit", "commit", "flaky")} == {"x-api-key"}
    assert (delivered.session.developers["bob"].home / "gh-calls.log").read_text().startswith("pr create")


def test_nothing_left_loopback(delivered: Delivered) -> None:
    """API-key runs try no connection past the proxy; OAuth runs only the profile check, which the trap refuses."""
    for o in delivered.session.outcomes:
        email = DEVELOPERS[o.invocation.developer][2]
        allowed = {OAUTH_PROFILE_CONNECT} if email else set()
        assert set(o.trapped) <= allowed, (o.invocation, o.trapped)
    assert delivered.session.trap.url.startswith("http://127.0.0.1:")


def test_tap_holds_every_metric_and_identity(delivered: Delivered) -> None:
    points = delivered.sent
    assert {p.metric for p in points} == CLAUDE_METRICS
    assert {p.temporality for p in points} == {1}  # delta
    by_metric: dict[str, float] = defaultdict(float)
    for p in points:
        by_metric[p.metric] += p.value
    assert by_metric["claude_code.commit.count"] == 2  # the commit scenario and the PR scenario's branch commit
    assert by_metric["claude_code.pull_request.count"] == 1
    starts = Counter(p.labels.get("start_type") for p in points if p.metric == "claude_code.session.count")
    resumed = sum(inv.resume for inv in INVOCATIONS)
    assert starts == {"fresh": len(INVOCATIONS) - resumed, "continue": resumed}
    sources = {p.labels.get("query_source") for p in points if p.metric == "claude_code.token.usage"}
    assert {"main", "subagent"} <= sources
    for p in points:
        dept, team, email = DEVELOPERS[_developer_of(delivered, p)]
        assert (p.labels["department"], p.labels["team.id"]) == (dept, team)
        assert p.labels.get("user.email") == email  # API key: no e-mail, user.id only
        assert len(p.labels["user.id"]) == 64
    events = Counter(r["body"] for r in oracle.log_records(delivered.requests))
    assert events["claude_code.api_retries_exhausted"] == 1
    assert events["claude_code.api_error"] == 1  # the 500 that recovered leaves no event
    assert events["claude_code.subagent_completed"] == 1


def _developer_of(delivered: Delivered, p: oracle.OtlpPoint) -> str:
    for name, (dept, team, _) in DEVELOPERS.items():
        if (p.labels.get("department"), p.labels.get("team.id")) == (dept, team):
            return name
    raise AssertionError(f"point of no developer: {p}")


def _groupings() -> list[tuple[str, ...]]:
    return [(), *((a,) for a in GROUPABLE_ATTRIBUTES), ("model", "type"), ("department", "team.id")]


def _same(got: dict[Any, float], exp: dict[Any, float]) -> None:
    missing, extra = sorted(exp.keys() - got.keys(), key=str), sorted(got.keys() - exp.keys(), key=str)
    assert not missing and not extra, (
        f"{len(missing)} missing, e.g. {missing[:3]}; {len(extra)} extra, e.g. {extra[:3]}"
    )
    bad = {k: (got[k], v) for k, v in exp.items() if not math.isclose(got[k], v, rel_tol=1e-12, abs_tol=1e-12)}
    assert not bad


def _range(points: list[oracle.OtlpPoint]) -> tuple[int, int]:
    return min(p.ts_ms for p in points) - 86_400_000, max(p.ts_ms for p in points) + 86_400_000


def test_query_equals_the_otlp_sums_every_metric_window_and_group(delivered: Delivered) -> None:
    assert delivered.consume_code == 0
    points, reader = delivered.points, delivered.stack.reader
    lo, hi = _range(points)
    for size, ms in oracle.WINDOWS_MS.items():
        for by in _groupings():
            exp = oracle.totals(points, ms, by)
            got: dict[tuple[Any, ...], float] = {}
            for metric in CLAUDE_METRICS:
                for row in query_metric(reader, metric, size, by, lo, hi):
                    got[(row.window_start_ms, metric, *(row.labels[a] for a in by))] = row.value
            _same(got, exp)
        users: dict[tuple[Any, ...], float] = {}
        for metric in CLAUDE_METRICS:
            for row in query_metric(reader, metric, size, ("user.email",), lo, hi):
                users[(row.window_start_ms, metric, row.labels["user.email"])] = row.value
        _same(users, dict(oracle.user_totals(points, ms)))
        active, sessions = oracle.distinct_counts(points, ms)
        assert {r.window_start_ms: r.value for r in query_metric(reader, "active_users", size, (), lo, hi)} == active
        assert {r.window_start_ms: r.value for r in query_metric(reader, "sessions", size, (), lo, hi)} == sessions


def test_lake_equals_the_otlp_sums_through_ccstream_athena_run(delivered: Delivered) -> None:
    from consumers.cli.app import app

    assert delivered.consume_code == 0
    points = delivered.points
    names: Names = delivered.stack.names
    columns = ", ".join(LAKE_LABELS)
    env = {
        "AWS_ENDPOINT_URL": delivered.stack.target.endpoint_url,
        "AWS_REGION": "us-east-1",
        "CCSTREAM_PREFIX": names.prefix,
        "CCSTREAM_TABLE": names.table,
        "CCSTREAM_LOG_GROUP": names.log_group,
        "CCSTREAM_LAKE_BUCKET": os.environ.get("CCSTREAM_LAKE_BUCKET", ""),
    }
    for _size, ms in oracle.WINDOWS_MS.items():
        sql = (
            f'SELECT metric, "timestamp" - ("timestamp" % {ms}) AS window_start, {columns}, SUM(value) AS total '
            f'FROM {ALL_VIEW} WHERE metric LIKE \'claude_code.%\' GROUP BY metric, "timestamp" - ("timestamp" % {ms}), '
            f"{columns}"
        )
        result = CliRunner().invoke(
            app, ["athena", "run", sql, "--json", "--cache-dir", str(delivered.lake_dir)], env=env
        )
        assert result.exit_code == 0, result.output
        doc = json.loads(result.output[result.output.index("{") :])
        got: dict[tuple[Any, ...], float] = {}
        for row in doc["rows"]:
            cells = dict(zip(doc["columns"], row, strict=True)) if isinstance(row, list) else row
            key = (int(cells["window_start"]), cells["metric"], *(cells[c] for c in LAKE_LABELS))
            got[key] = got.get(key, 0.0) + float(cells["total"])
        exp: dict[tuple[Any, ...], float] = defaultdict(float)
        for p in points:
            key = (p.ts_ms - p.ts_ms % ms, p.metric, *(p.labels.get(a) for a in LAKE_LABELS.values()))
            exp[key] += p.value
        _same(got, dict(exp))


def test_every_value_sent_is_in_an_awsemf_line(delivered: Delivered) -> None:
    """Every metric value the CLI sent is in some awsemf line (a cross-check independent of the consumers)."""
    sent: Counter[tuple[str, int]] = Counter()
    for p in delivered.points:
        sent[(p.metric, p.ts_ms)] += 1
    seen: Counter[tuple[str, int]] = Counter()
    for line in delivered.emf_lines:
        doc = json.loads(line)
        ts = doc.get("_aws", {}).get("Timestamp", doc.get("Timestamp"))
        for key in doc:
            if key in CLAUDE_METRICS:
                seen[(key, int(ts))] += 1
    assert seen == sent


def test_ccstream_query_command_prints_the_otlp_sums(delivered: Delivered) -> None:
    """The same numbers through the `ccstream query --json` command a person types."""
    from consumers.cli.app import app
    from consumers.windows.definitions import iso

    assert delivered.consume_code == 0
    names: Names = delivered.stack.names
    env = {"AWS_ENDPOINT_URL": delivered.stack.target.endpoint_url, "AWS_REGION": "us-east-1"}
    env |= {"CCSTREAM_PREFIX": names.prefix, "CCSTREAM_TABLE": names.table, "CCSTREAM_LOG_GROUP": names.log_group}
    lo, hi = _range(delivered.points)
    by = ("department", "team.id")
    for metric in sorted(CLAUDE_METRICS):
        args = ["query", metric, "--window", "1h", "--from", iso(lo), "--to", iso(hi), "--json"]
        result = CliRunner().invoke(app, [*args, *(x for a in by for x in ("--by", a))], env=env)
        assert result.exit_code == 0, result.output
        got = {(r["window_start"], r["department"], r["team.id"]): r["value"] for r in json.loads(result.stdout)}
        exp = {
            (iso(start), *labels): v
            for (start, m, *labels), v in oracle.totals(delivered.points, 3_600_000, by).items()
            if m == metric
        }
        _same(got, exp)
