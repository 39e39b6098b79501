"""`ccstream generate` end to end through the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from consumers.cli.app import app
from consumers.generate import decode_captured
from schemas.emf import parse_line
from schemas.envelope import decode_envelope
from tests.generate.test_emf_writer import assert_same_lines

runner = CliRunner()
ARGS = ["generate", "--users", "40", "--minutes", "20", "--start", "2026-11-23T14:00:00Z", "--seed", "9"]
START_MS = 1_795_442_400_000


def test_help_describes_the_options() -> None:
    result = runner.invoke(app, ["generate", "--help"])
    assert result.exit_code == 0
    for option in ("--users", "--minutes", "--format", "--start", "--seed", "--out"):
        assert option in result.output


def test_emf_to_stdout_is_deterministic_and_valid() -> None:
    first = runner.invoke(app, [*ARGS, "--format", "emf", "--quiet"])
    second = runner.invoke(app, [*ARGS, "--format", "emf", "--quiet"])
    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout
    lines = first.stdout.splitlines()
    assert lines
    for line in lines:
        points, _ = parse_line(line)
        assert START_MS <= points[0].timestamp_ms < START_MS + 20 * 60_000


def test_kinesis_file_format_from_suffix_with_progress(tmp_path: Path) -> None:
    out = tmp_path / "sample.kinesis.jsonl"
    result = runner.invoke(app, [*ARGS, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "minute 20/20" in result.stderr
    rows = out.read_bytes().splitlines()
    envelopes = [decode_envelope(decode_captured(r).data_bytes()) for r in rows]
    assert any(env.is_control for env in envelopes)
    events = [e for env in envelopes if not env.is_control for e in env.log_events]
    emf = runner.invoke(app, [*ARGS, "--format", "emf", "--quiet"]).stdout.splitlines()
    assert sorted(e.message for e in events) == sorted(emf)
    assert f"{len(rows):,} Kinesis records" in result.stderr


def test_bad_start_is_a_clear_error() -> None:
    result = runner.invoke(app, ["generate", "--start", "yesterday-ish", "--quiet"])
    assert result.exit_code != 0
    assert "ISO 8601" in str(result.exception)


def test_default_start_ends_at_the_current_minute() -> None:
    result = runner.invoke(app, ["generate", "--users", "200", "--minutes", "3", "--quiet"])
    assert result.exit_code == 0
    stamps = [json.loads(line)["_aws"]["Timestamp"] for line in result.stdout.splitlines()]
    assert stamps
    # No wall-clock assertion: only that three consecutive minutes were simulated, aligned to a minute.
    first_minute = min(stamps) - min(stamps) % 60_000
    assert max(stamps) < first_minute + 3 * 60_000


def test_otlp_format_writes_one_request_per_line_with_the_same_totals(tmp_path: Path) -> None:
    out = tmp_path / "sample.otlp.jsonl"
    result = runner.invoke(app, [*ARGS, "--out", str(out)])
    assert result.exit_code == 0, result.output
    requests = [json.loads(r) for r in out.read_bytes().splitlines()]
    assert f"{len(requests):,} OTLP requests" in result.stderr
    totals: dict[str, float] = {}
    for req in requests:
        for metric in req["resourceMetrics"][0]["scopeMetrics"][0]["metrics"]:
            for dp in metric["sum"]["dataPoints"]:
                assert START_MS * 10**6 <= int(dp["timeUnixNano"]) < (START_MS + 20 * 60_000) * 10**6
                totals[metric["name"]] = totals.get(metric["name"], 0.0) + dp["asDouble"]
    emf_totals: dict[str, float] = {}
    for line in runner.invoke(app, [*ARGS, "--format", "emf", "--quiet"]).stdout.splitlines():
        for key, value in json.loads(line).items():
            if key.startswith("claude_code."):
                emf_totals[key] = emf_totals.get(key, 0.0) + value
    assert totals.keys() == emf_totals.keys()
    for name, value in emf_totals.items():
        assert abs(totals[name] - value) <= 1e-9 * max(1.0, value), name


@pytest.mark.emulator
def test_via_collector_the_real_collector_writes_what_the_model_writes(tmp_path: Path) -> None:
    """`--via collector`: the lines come back from CloudWatch Logs (and the subscription's Kinesis records) after
    the real collector wrote them; they are the model's lines (one run: the emf output is the same capture's)."""
    start = _latest_busy_hour(datetime.now(UTC)).isoformat()
    args = ["generate", "--users", "30", "--minutes", "4", "--start", start, "--seed", "3"]
    out = tmp_path / "real.kinesis.jsonl"
    real = runner.invoke(app, [*args, "--via", "collector", "--out", str(out)])
    assert real.exit_code == 0, real.output
    assert "written by the collector" in real.stderr
    envelopes = [decode_envelope(decode_captured(r).data_bytes()) for r in out.read_bytes().splitlines()]
    events = [e.message for env in envelopes for e in env.log_events]
    model = runner.invoke(app, [*args, "--format", "emf", "--quiet"]).stdout.splitlines()
    assert events and len(events) == len(model)
    assert_same_lines(model, events)


def _latest_busy_hour(now: datetime) -> datetime:
    """14:00 UTC of the latest Tuesday to Thursday that is over an hour past: simulated developers are at work then
    (a start relative to `now` found them asleep or at the weekend, and the capture was empty). Within the last
    8 days, so CloudWatch Logs (14 days back) takes it."""
    day = now.replace(hour=14, minute=0, second=0, microsecond=0)
    while day.isoweekday() not in (2, 3, 4) or day > now - timedelta(hours=1):
        day -= timedelta(days=1)
    return day


def test_the_busy_hour_is_a_past_working_afternoon() -> None:
    saturday_evening = datetime(2026, 12, 5, 20, 51, tzinfo=UTC)
    assert _latest_busy_hour(saturday_evening) == datetime(2026, 12, 3, 14, 0, tzinfo=UTC)  # Thursday
    wednesday_before_three = datetime(2026, 12, 2, 14, 59, tzinfo=UTC)
    assert _latest_busy_hour(wednesday_before_three) == datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # Tuesday


def test_via_collector_refuses_a_span_cloudwatch_would_refuse() -> None:
    old = ["generate", "--users", "5", "--minutes", "3", "--start", "2026-01-01T00:00:00Z", "--format", "emf"]
    result = runner.invoke(app, [*old, "--via", "collector"])
    assert result.exit_code != 0 and "14 days" in str(result.exception)
