"""Start the real collector (consumers/collector) against the test emulator, on a free loopback port."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from consumers.aws import AwsTarget


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def start_test_collector(aws: AwsTarget, tmp_path: Path, http_port: int, metrics_log_group: str) -> Iterator[Any]:
    """A running collector writing EMF into `metrics_log_group` of the emulator; stopped (flushed) on exit."""
    from consumers.collector.process import start_collector

    collector = start_collector(
        endpoint_url=str(aws.endpoint_url),
        region=aws.region,
        http_port=http_port,
        task_id="test",
        metrics_log_group=metrics_log_group,
        events_log_group=metrics_log_group + "-events",
        log_file=tmp_path / "collector.log",
    )
    try:
        yield collector
    finally:
        collector.stop()


__all__ = ["free_port", "start_test_collector"]
