"""A real collector (the binary `make collector` built) writing into fresh log groups of the session's emulator."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from consumers.aws import AwsTarget
from consumers.collector.process import RunningCollector, free_port, start_collector
from consumers.emulator import EmbeddedEmulator

WAIT_S = 60.0


@dataclass
class CollectorUnderTest:
    collector: RunningCollector
    logs: Any
    metrics_group: str
    events_group: str
    task_id: str

    def post(self, path: str, body: bytes, headers: dict[str, str] | None = None) -> int:
        request = urllib.request.Request(
            self.collector.otlp_http_url + path, body, {"Content-Type": "application/json", **(headers or {})}
        )
        with urllib.request.urlopen(request, timeout=10) as resp:
            return int(resp.status)

    def events(self, group: str) -> list[tuple[str, dict[str, Any]]]:
        """(stream, event) for every event in `group`."""
        out = []
        for page in self.logs.get_paginator("describe_log_streams").paginate(logGroupName=group):
            for stream in page["logStreams"]:
                name = stream["logStreamName"]
                token = None
                while True:
                    kwargs: dict[str, Any] = {"logGroupName": group, "logStreamName": name, "startFromHead": True}
                    if token:
                        kwargs["nextToken"] = token
                    resp = self.logs.get_log_events(**kwargs)
                    out.extend((name, e) for e in resp["events"])
                    if not resp["events"] or resp.get("nextForwardToken") == token:
                        break
                    token = resp.get("nextForwardToken")
        return out

    def wait_for_events(self, group: str, count: int, where: Any = lambda e: True) -> list[tuple[str, dict[str, Any]]]:
        """Poll until at least `count` matching events are there (the batch processor flushes every second)."""
        deadline = time.monotonic() + WAIT_S
        found: list[tuple[str, dict[str, Any]]] = []
        while time.monotonic() < deadline:
            found = [(s, e) for s, e in self.events(group) if where(e)]
            if len(found) >= count:
                return found
            time.sleep(0.2)
        return found


def metric_lines(found: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [json.loads(e["message"]) for _, e in found]


@pytest.fixture(scope="module")
def running(emulator: EmbeddedEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CollectorUnderTest]:
    aws = AwsTarget(endpoint_url=emulator.url, region="us-east-1")
    logs = aws.client("logs")
    suffix = uuid.uuid4().hex[:8]
    metrics_group, events_group = f"/test/collector-{suffix}/metrics", f"/test/collector-{suffix}/events"
    for group in (metrics_group, events_group):
        logs.create_log_group(logGroupName=group)
    tmp = tmp_path_factory.mktemp("collector")
    task_id = f"task-{suffix}"
    with start_collector(
        endpoint_url=emulator.url,
        region="us-east-1",
        http_port=free_port(),
        file_tap=tmp / "tap.jsonl",
        task_id=task_id,
        metrics_log_group=metrics_group,
        events_log_group=events_group,
        log_file=tmp / "collector.log",
    ) as collector:
        yield CollectorUnderTest(collector, logs, metrics_group, events_group, task_id)


def tap_requests(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
