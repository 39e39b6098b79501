"""Rendering of the MultiLangDaemon properties file from the shipped template."""

from __future__ import annotations

import pytest

from consumers.aws import AwsTarget
from consumers.errors import ConfigError
from consumers.kcl.properties import KclApp, KclTimings, executable_line, parse_properties, render_properties

EMULATOR = AwsTarget(endpoint_url="http://127.0.0.1:4566", region="eu-west-1")
REAL_AWS = AwsTarget(endpoint_url=None, region="us-west-2")


def make_app(**overrides: object) -> KclApp:
    fields: dict[str, object] = {
        "name": "claude-code-aggregator",
        "stream": "claude-code-metrics",
        "processor_command": ("/venv/bin/python", "-m", "consumers.kcl.processor"),
        "worker_id": "w1",
    }
    fields.update(overrides)
    return KclApp(**fields)  # type: ignore[arg-type]


def test_emulator_rendering_has_endpoints_and_fast_timings() -> None:
    props = parse_properties(render_properties(make_app(), EMULATOR))
    assert props == {
        "executableName": "/venv/bin/python -m consumers.kcl.processor",
        "streamName": "claude-code-metrics",
        "applicationName": "claude-code-aggregator",
        "workerId": "w1",
        "AWSCredentialsProvider": "DefaultAWSCredentialsProviderChain",
        "regionName": "eu-west-1",
        "processingLanguage": "python/3.11",
        "initialPositionInStream": "TRIM_HORIZON",
        "retrievalMode": "POLLING",
        "callProcessRecordsEvenForEmptyRecordList": "true",
        "maxRecords": "40",
        "metricsLevel": "NONE",
        "shutdownGraceMillis": "20000",
        "kinesisEndpoint": "http://127.0.0.1:4566",
        "dynamoDBEndpoint": "http://127.0.0.1:4566",
        "idleTimeBetweenReadsInMillis": "250",
        "failoverTimeMillis": "2000",
        "shardSyncIntervalMillis": "2000",
        "parentShardPollIntervalMillis": "1000",
        "skipShardSyncAtWorkerInitializationIfLeasesExist": "true",
    }


def test_aws_rendering_keeps_kcl_defaults_and_has_no_endpoint() -> None:
    text = render_properties(make_app(), REAL_AWS)
    props = parse_properties(text)
    assert "kinesisEndpoint" not in props
    assert "dynamoDBEndpoint" not in props
    for timing in ("failoverTimeMillis", "shardSyncIntervalMillis", "idleTimeBetweenReadsInMillis"):
        assert timing not in props
    assert props["regionName"] == "us-west-2"
    assert props["metricsLevel"] == "SUMMARY"
    assert "${" not in text


def test_explicit_timings_and_metrics_level_win() -> None:
    app = make_app(timings=KclTimings(failover_ms=5000), metrics_level="DETAILED", shutdown_grace_ms=7000)
    props = parse_properties(render_properties(app, EMULATOR))
    assert props["failoverTimeMillis"] == "5000"
    assert "shardSyncIntervalMillis" not in props
    assert props["metricsLevel"] == "DETAILED"
    assert props["shutdownGraceMillis"] == "7000"


def test_rendered_file_is_commented() -> None:
    text = render_properties(make_app(), EMULATOR)
    comments = [line for line in text.splitlines() if line.startswith("#")]
    assert len(comments) >= 10


@pytest.mark.parametrize("bad", [("/my venv/bin/python", "-m", "x"), ("python", ""), ()])
def test_executable_with_whitespace_or_empty_is_refused(bad: tuple[str, ...]) -> None:
    with pytest.raises(ConfigError):
        executable_line(bad)


def test_newline_in_a_value_is_refused() -> None:
    with pytest.raises(ConfigError):
        render_properties(make_app(worker_id="w1\nfailoverTimeMillis = 1"), EMULATOR)


def test_non_positive_timing_is_refused() -> None:
    with pytest.raises(ConfigError):
        render_properties(make_app(timings=KclTimings(failover_ms=0)), EMULATOR)


def test_parse_properties_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        parse_properties("no equals sign here")
