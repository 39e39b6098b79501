"""Command line, environment and jar discovery for the MultiLangDaemon (no JVM started here)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import consumers
from consumers.aws import AwsTarget
from consumers.errors import ConfigError
from consumers.kcl.daemon import MAIN_CLASS, daemon_env, find_jars_dir, find_java, java_command, log_tail

EMULATOR = AwsTarget(endpoint_url="http://127.0.0.1:4566", region="eu-west-1")
REAL_AWS = AwsTarget(endpoint_url=None, region="us-west-2")
ROOT = str(Path(consumers.__file__).resolve().parent.parent)


def test_java_command_on_emulator_disables_cbor() -> None:
    cmd = java_command("/usr/bin/java", Path("/jars"), Path("/tmp/app.properties"), EMULATOR)
    assert cmd == [
        "/usr/bin/java",
        "-Daws.cborEnabled=false",
        "-cp",
        "/jars/*",
        MAIN_CLASS,
        "--properties-file",
        "/tmp/app.properties",
    ]


def test_java_command_on_aws_keeps_cbor() -> None:
    cmd = java_command("java", Path("/jars"), Path("p"), REAL_AWS)
    assert "-Daws.cborEnabled=false" not in cmd
    assert cmd[-3:] == [MAIN_CLASS, "--properties-file", "p"]


def test_env_for_emulator_sets_endpoint_region_credentials_and_pythonpath() -> None:
    env = daemon_env(EMULATOR, base={"PATH": "/bin", "CCSTREAM_PREFIX": "x", "PYTHONPATH": "/a"})
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == ("test", "test")
    assert env["CCSTREAM_PREFIX"] == "x"
    assert env["PYTHONPATH"].split(os.pathsep) == [ROOT, "/a"]


def test_env_for_emulator_keeps_given_credentials() -> None:
    env = daemon_env(EMULATOR, base={"AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK"})
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == ("AK", "SK")


def test_env_for_aws_drops_a_stray_endpoint_and_adds_no_credentials() -> None:
    env = daemon_env(REAL_AWS, base={"AWS_ENDPOINT_URL": "http://old", "PYTHONPATH": ROOT})
    assert "AWS_ENDPOINT_URL" not in env
    assert "AWS_ACCESS_KEY_ID" not in env
    assert env["PYTHONPATH"] == ROOT


def test_jars_override_must_hold_the_multilang_jar(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="CCSTREAM_KCL_JARS"):
        find_jars_dir({"CCSTREAM_KCL_JARS": str(tmp_path)})
    (tmp_path / "amazon-kinesis-client-multilang-2.5.8.jar").write_bytes(b"")
    assert find_jars_dir({"CCSTREAM_KCL_JARS": str(tmp_path)}) == tmp_path


def test_java_from_java_home_first(tmp_path: Path) -> None:
    java = tmp_path / "bin" / "java"
    java.parent.mkdir()
    java.write_text("")
    assert find_java({"JAVA_HOME": str(tmp_path), "PATH": ""}) == str(java)


def test_missing_java_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Java"):
        find_java({"PATH": str(tmp_path)})


def test_log_tail(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text("".join(f"line {i}\n" for i in range(100)))
    assert log_tail(log, lines=3) == "line 97\nline 98\nline 99"
    assert log_tail(tmp_path / "missing.log") == ""
