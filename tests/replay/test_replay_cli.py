"""`ccstream replay` through the CLI against the embedded emulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from consumers.aws import AwsTarget
from consumers.cli.app import app
from tests.replay.streams import make_pipeline, read_all

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
runner = CliRunner()


def test_help() -> None:
    result = runner.invoke(app, ["replay", "--help"])
    assert result.exit_code == 0
    for option in ("--endpoint-url", "--region", "--log-group", "--stream", "--shift-to-now", "--log-stream"):
        assert option in result.output


@pytest.mark.emulator
def test_replay_both_formats_with_json_summary(aws: AwsTarget) -> None:
    pipe = make_pipeline(aws)
    emf, bad = FIXTURES / "midnight.emf.ndjson", FIXTURES / "bad.kinesis.jsonl"
    args = ["replay", str(bad), str(emf), "--endpoint-url", str(aws.endpoint_url), "--region", aws.region,
            "--log-group", pipe.log_group, "--stream", pipe.stream, "--shift-to-now", "--json"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    emf_lines = len(emf.read_text().splitlines())
    bad_records = len(bad.read_bytes().splitlines())
    assert summary["log_events_sent"] == emf_lines
    assert summary["kinesis_records_sent"] == bad_records
    assert "PutLogEvents:" in result.stderr and "PutRecords:" in result.stderr
    # One subscription record per PutLogEvents call plus the replayed records.
    assert len(read_all(pipe.kinesis, pipe.stream)) == bad_records + summary["put_log_events_calls"]


@pytest.mark.emulator
def test_unknown_file_type_is_a_clear_error(aws: AwsTarget, tmp_path: Path) -> None:
    odd = tmp_path / "capture.txt"
    odd.write_text("{}\n")
    result = runner.invoke(app, ["replay", str(odd), "--endpoint-url", str(aws.endpoint_url)])
    assert result.exit_code != 0
    assert "_aws" in str(result.exception) and "get-records" in str(result.exception)
