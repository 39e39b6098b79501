"""On ECS the binary names its log streams after the task: TaskARN from the task metadata endpoint (taskid.go)."""

from __future__ import annotations

import http.server
import json
import subprocess
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from consumers.aws import AwsTarget
from consumers.collector.process import collector_command, free_port
from consumers.collector.settings import CollectorSettings
from consumers.emulator import EmbeddedEmulator
from tests.collector.otlp_requests import Point, metrics_request

TASK_ID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"


@pytest.fixture()
def task_metadata() -> Iterator[str]:
    """A loopback stand-in for the ECS task metadata endpoint v4 (only GET /task)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"TaskARN": f"arn:aws:ecs:us-east-1:123456789012:task/ccstream/{TASK_ID}"}).encode()
            self.send_response(200 if self.path == "/task" else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def test_streams_are_named_after_the_ecs_task(emulator: EmbeddedEmulator, task_metadata: str, tmp_path: Path) -> None:
    group = f"/test/collector-ecs-{uuid.uuid4().hex[:8]}"
    logs = AwsTarget(endpoint_url=emulator.url, region="us-east-1").client("logs")
    logs.create_log_group(logGroupName=group)
    settings = CollectorSettings(
        region="us-east-1",
        endpoint_url=emulator.url,
        http_port=free_port(),
        grpc_port=free_port(),
        health_port=free_port(),
        telemetry_port=free_port(),
        metrics_log_group=group,
        events_log_group=group + "-events",
    )
    argv, env = collector_command(settings)
    del env["CCSTREAM_TASK_ID"]
    env["ECS_CONTAINER_METADATA_URI_V4"] = task_metadata
    with (tmp_path / "collector.log").open("wb") as log:
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            body = metrics_request([Point("claude_code.commit.count", "", 2.0, {})], (int(time.time()) - 60) * 10**9)
            deadline, status = time.monotonic() + 60, 0
            while time.monotonic() < deadline and not status and proc.poll() is None:
                try:
                    req = urllib.request.Request(
                        f"http://127.0.0.1:{settings.http_port}/v1/metrics", body, {"Content-Type": "application/json"}
                    )
                    with urllib.request.urlopen(req, timeout=5) as resp:
                        status = resp.status
                except OSError:
                    time.sleep(0.2)
            assert status == 200, (tmp_path / "collector.log").read_text()
        finally:
            proc.terminate()
            proc.wait(timeout=60)
    streams = [s["logStreamName"] for s in logs.describe_log_streams(logGroupName=group)["logStreams"]]
    assert streams == [f"otel-stream-{TASK_ID}"]
