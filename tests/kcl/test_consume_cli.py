"""`ccstream consume` options and the runner's pre-flight checks (no KCL run here except a failing JVM)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from consumers.aws import AwsTarget
from consumers.cli import consume_cmd
from consumers.config import Names
from consumers.errors import ConfigError
from consumers.kcl import runner
from consumers.kcl.daemon import DaemonExited
from consumers.kcl.properties import KclApp
from tests.kcl.streams import create_stream, unique


def _cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """test root"""

    consume_cmd.register(app)
    return app


def test_help_lists_every_option() -> None:
    result = CliRunner().invoke(_cli(), ["consume", "--help"], env={"COLUMNS": "200", "TERM": "dumb"})
    assert result.exit_code == 0
    for option in ("--until-idle", "--app", "--worker-id", "--log-dir", "--endpoint-url", "--region"):
        assert option in result.output


def test_unknown_app_is_a_config_error() -> None:
    result = CliRunner().invoke(_cli(), ["consume", "--app", "bogus", "--endpoint-url", "http://127.0.0.1:9"])
    assert isinstance(result.exception, ConfigError)
    assert "aggregator, lake, events, all, everything" in str(result.exception)


def test_standard_apps_names_and_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "check_importable", lambda *_args: None)
    target = AwsTarget("http://127.0.0.1:9", "us-east-1")
    apps = runner.standard_apps(Names(prefix="p"), "all", "w9", target, python="/py")
    assert [(a.label, a.name, a.stream, a.worker_id) for a in apps] == [
        ("aggregator", "p-aggregator", "p-metrics", "w9"),
        ("lake", "p-lake-writer", "p-metrics", "w9"),
    ]
    assert apps[0].processor_command == ("/py", "-m", "consumers.kcl.processor")
    assert apps[1].processor_command == ("/py", "-m", "consumers.kcl.lake_processor")
    assert [a.label for a in runner.standard_apps(Names(), "lake", "w", target)] == ["lake"]
    # the events consumer reads its own stream (issue 16)
    everything = runner.standard_apps(Names(prefix="p"), "everything", "w9", target, python="/py")
    assert [(a.label, a.name, a.stream) for a in everything][2:] == [("events", "p-events", "p-events")]
    assert everything[2].processor_command == ("/py", "-m", "consumers.kcl.events_processor")
    # what the ECS task runs on AWS, where Firehose writes the metrics lake
    aggregates = runner.standard_apps(Names(prefix="p"), "aggregates", "w9", target, python="/py")
    assert [(a.label, a.name) for a in aggregates] == [("aggregator", "p-aggregator"), ("events", "p-events")]


def test_a_processor_that_does_not_import_fails_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "check_importable", lambda *_args: "ImportError: boom")
    with pytest.raises(ConfigError, match=r"consumers\.kcl\.processor.*boom.*--app lake"):
        runner.standard_apps(Names(), "aggregator", "w", AwsTarget(None, "us-east-1"))


def test_check_importable_runs_a_real_import(tmp_path: Path) -> None:
    (tmp_path / "broken_mod.py").write_text("raise ImportError('no pipeline yet')\n")
    (tmp_path / "fine_mod.py").write_text("X = 1\n")
    env = {"PYTHONPATH": str(tmp_path)}
    sys.path.insert(0, str(tmp_path))
    try:
        assert runner.check_importable(sys.executable, "fine_mod", env) is None
        assert "no pipeline yet" in (runner.check_importable(sys.executable, "broken_mod", env) or "")
        assert "does not exist" in (runner.check_importable(sys.executable, "no_such_mod_xyz", env) or "")
    finally:
        sys.path.remove(str(tmp_path))


def test_default_worker_id_is_fixed_locally_and_unique_on_aws() -> None:
    assert runner.default_worker_id(AwsTarget("http://x", "r")) == "ccstream-local"
    a, b = (runner.default_worker_id(AwsTarget(None, "r")) for _ in range(2))
    assert a != b


def _app(stream: str) -> KclApp:
    return KclApp(name=unique("app"), stream=stream, processor_command=(sys.executable, "-c", "pass"), worker_id="w")


def test_missing_stream_is_a_config_error_before_any_daemon(aws: AwsTarget, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ccstream deploy"):
        runner.run_consumers(aws, [_app(unique("no-stream"))], log_dir=tmp_path)
    assert not list(tmp_path.glob("*.log"))


@pytest.mark.skipif(shutil.which("java") is None, reason="needs a Java runtime")
def test_a_daemon_that_dies_early_raises_with_its_log_tail(
    aws: AwsTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_jars = tmp_path / "jars"
    fake_jars.mkdir()
    (fake_jars / "amazon-kinesis-client-multilang-2.5.8.jar").write_bytes(b"not a jar")
    monkeypatch.setenv("CCSTREAM_KCL_JARS", str(fake_jars))
    stream = create_stream(aws.client("kinesis"), shards=1)
    with pytest.raises(DaemonExited) as info:
        runner.run_consumers(aws, [_app(stream)], log_dir=tmp_path / "logs", until_idle_s=1, timeout_s=60)
    message = str(info.value)
    assert "exited with status 1" in message
    assert "MultiLangDaemon" in message  # the JVM's own complaint, taken from the log tail
