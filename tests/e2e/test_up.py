"""`ccstream up` — what `make run` runs — as a user starts it: a child process with its own embedded emulator, all
five stacks deployed into it, simulated telemetry through CloudWatch Logs, both KCL apps, the local dashboard.

The test waits until token aggregates are readable from the child's emulator (over HTTP, as `ccstream query` reads
them) and the dashboard serves its total-tokens widget with tokens in it, then stops it as Ctrl-C would (SIGINT)
and expects a clean exit. Exactness is proven by the replay and fault tests; this one proves the two-command path.
"""

from __future__ import annotations

import html
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from consumers.aws import AwsTarget
from consumers.query.api import query_metric
from consumers.query.reader import DynamoRowReader
from consumers.windows.definitions import iso
from schemas.catalogue import TOKEN_USAGE

pytestmark = pytest.mark.emulator

HOUR_MS = 3_600_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tokens_in_table(endpoint: str, table: str, from_ms: int, to_ms: int) -> float | None:
    """Total tokens in the 1-day windows of [from_ms, to_ms), or None while the table is not there yet."""
    try:
        reader = DynamoRowReader(AwsTarget(endpoint, "us-east-1").client("dynamodb"), table)
        rows = query_metric(reader, TOKEN_USAGE, "1d", (), from_ms, to_ms)
    except Exception:  # the emulator or the table is still starting
        return None
    return sum(r.value for r in rows)


def widget_total(dashboard: str, from_ms: int, to_ms: int) -> float | None:
    url = f"{dashboard}/widget/total_tokens?from={iso(from_ms)}&to={iso(to_ms)}"
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            page = r.read().decode()
    except OSError:
        return None
    match = re.search(r'data-values="([^"]*)"', page)
    return float(json.loads(html.unescape(match.group(1)))["total"]) if match else None


def test_ccstream_up_runs_the_whole_pipeline_and_stops_cleanly(tmp_path: Path) -> None:
    port, dashboard_port = free_port(), free_port()
    command = [str(Path(sys.executable).parent / "ccstream"), "up", "--users", "8", "--backfill-minutes", "3"]
    command += ["--port", str(port), "--dashboard-port", str(dashboard_port), "--log-dir", str(tmp_path / "logs")]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CCSTREAM_", "AWS_ENDPOINT"))}
    child = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    endpoint, dashboard = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{dashboard_port}"
    now = int(time.time() * 1000)
    day_start = now - now % (24 * HOUR_MS)
    span = (day_start - 24 * HOUR_MS, day_start + 24 * HOUR_MS)  # backfill may reach into yesterday
    try:
        deadline = time.monotonic() + 300
        stored = shown = None
        while time.monotonic() < deadline and child.poll() is None:
            stored = tokens_in_table(endpoint, "ClaudeCodeMetrics", *span)
            if stored:
                shown = widget_total(dashboard, *span)
                if shown is not None and shown > 0:
                    break
            time.sleep(2)
        assert child.poll() is None, f"ccstream up exited early with {child.returncode}"
        assert stored and stored > 0, "no token aggregates within 300 s"
        # The widget may read another window size, flushed on its own schedule while the pipeline keeps running,
        # so only its presence is compared here (the dashboard tests check its figures against the fixture).
        assert shown is not None and shown > 0
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGINT)
        try:
            output, _ = child.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            child.kill()
            output, _ = child.communicate()
    assert child.returncode == 0, output[-3000:]
    assert "embedded emulator on" in output and "points aggregated" in output
