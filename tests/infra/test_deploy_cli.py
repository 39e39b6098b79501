"""`ccstream deploy` from the command line: JSON output, --help, and errors that say how to fix them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from consumers.aws import AwsTarget
from consumers.cli.app import app
from consumers.errors import ConfigError
from tests.infra.conftest import unique_names

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.emulator
@pytest.mark.filterwarnings("ignore:.*moto's CloudFormation")
def test_deploy_prints_json_outputs_and_progress_separately(aws: AwsTarget) -> None:
    names = unique_names("cli")
    result = CliRunner().invoke(
        app,
        [
            "deploy",
            "--stacks",
            "streaming",
            "--prefix",
            names.prefix,
            "--log-group",
            names.log_group,
            "--shards",
            "3",
            "--endpoint-url",
            str(aws.endpoint_url),
            "--json",
        ],
        env={"CCSTREAM_TABLE": names.table},
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    (stack,) = report["stacks"]
    assert (stack["stack_name"], stack["action"]) == (f"{names.prefix}-streaming", "created")
    assert stack["outputs"]["StreamName"] == f"{names.prefix}-metrics"
    assert report["links"]["stream"] == f"{names.prefix}-metrics"
    assert "creating" in result.stderr  # progress goes to stderr, never into the JSON
    summary = aws.client("kinesis").describe_stream_summary(StreamName=f"{names.prefix}-metrics")
    assert summary["StreamDescriptionSummary"]["OpenShardCount"] == 3


def test_an_unknown_template_parameter_is_a_config_error() -> None:
    result = CliRunner().invoke(
        app,
        ["deploy", "--stacks", "streaming", "-p", "streaming.NoSuchThing=1", "--endpoint-url", "http://127.0.0.1:9"],
    )
    assert isinstance(result.exception, ConfigError)
    assert "streaming.yaml has no parameter(s) NoSuchThing" in str(result.exception)  # found before any AWS call


def test_help_explains_change_sets_and_emulators() -> None:
    result = CliRunner().invoke(app, ["deploy", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for text in ("change set", "--endpoint-url", "--stacks", "--region", "--json"):
        assert text in result.output


def test_main_prints_a_clear_error_for_an_unknown_stack() -> None:
    completed = subprocess.run(
        [sys.executable, "-c", "from consumers.cli.app import main; main()", "deploy", "--stacks", "warehouse"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 2
    assert "unknown stack(s) warehouse" in completed.stderr
    assert "networking, monitoring, streaming, analytics, dashboard" in completed.stderr
