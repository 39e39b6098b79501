"""`ccstream up` — what `make run` runs — as a user starts it: a child process with its own embedded emulator, all
five stacks deployed into it, simulated telemetry through CloudWatch Logs, both KCL apps, the local dashboard.

The first test waits until token aggregates are readable from the child's emulator (over HTTP, as `ccstream query`
reads them) and the dashboard serves its total-tokens widget with tokens in it, then stops it as Ctrl-C would
(SIGINT) and expects a clean exit. The second stops it with SIGTERM (a container stop) once its plain progress lines
show aggregated points, and expects the same clean exit, with every record processor told to shut down. Both run
the child without a terminal (stdout is a pipe), so both check the plain progress lines. Exactness is proven by the
replay and fault tests; these prove the two-command path.
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
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

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
    progress = progress_lines(output)
    assert len(progress) >= 2, output[-3000:]  # a plain line every few seconds, not one final screen
    assert all(f"| {label} " in progress[-1] for label in ("events in", "points aggregated", "dead letters", "lag"))
    assert output.rstrip().endswith("stopped.")


PROGRESS = re.compile(r"^\[\s*\d+s\] (running|stopping|stopped) \| events in ")


def progress_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if PROGRESS.match(line)]


def points_aggregated(line: str) -> int:
    match = re.search(r"\| points aggregated ([\d,]+) ", line)
    return int(match.group(1).replace(",", "")) if match else 0


def _collect(stream: Any, lines: list[str]) -> None:
    for line in stream:
        lines.append(line.rstrip("\n"))


def test_sigterm_stops_up_cleanly_after_plain_progress_lines(tmp_path: Path) -> None:
    port = free_port()
    command = [str(Path(sys.executable).parent / "ccstream"), "up", "--users", "4", "--backfill-minutes", "2"]
    command += ["--port", str(port), "--no-dashboard", "--progress-every", "2", "--log-dir", str(tmp_path / "logs")]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CCSTREAM_", "AWS_ENDPOINT"))}
    child = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    reader = threading.Thread(target=_collect, args=(child.stdout, lines), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and child.poll() is None:
            if any(points_aggregated(line) > 0 for line in progress_lines("\n".join(lines))):
                break
            time.sleep(1)
        assert child.poll() is None, "\n".join(lines[-40:])
        assert any(points_aggregated(x) > 0 for x in progress_lines("\n".join(lines))), "\n".join(lines[-40:])
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=120)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        reader.join(timeout=10)
    output = "\n".join(lines)
    assert child.returncode == 0, output[-3000:]
    assert output.rstrip().endswith("stopped."), output[-2000:]
    # The aggregator's processors were asked to shut down and checkpointed (not killed): their log lines.
    aggregator_log = (tmp_path / "logs" / "claude-code-aggregator.log").read_text()
    assert "shutdown requested; flushed and checkpointed" in aggregator_log, aggregator_log[-3000:]


def test_plain_progress_prints_on_phase_changes_every_interval_and_each_error_once() -> None:
    from consumers.cli.up_cmd import PlainProgress
    from consumers.up import UpState

    out: list[str] = []
    show = PlainProgress(started=time.monotonic(), every_s=1000, echo=out.append)
    state = UpState(phase="running", events_sent=1234)
    show(state)
    show(state)  # within the interval, same phase: nothing new
    assert len(out) == 1 and PROGRESS.match(out[0]) and "events in 1,234 data points" in out[0]
    state.errors.append("producer: boom")
    show(state)
    show(state)
    assert out[1:] == ["error: producer: boom"]
    state.phase = "stopped"
    show(state)
    assert len(out) == 3 and out[2].split("] ")[1].startswith("stopped |")
    every_call = PlainProgress(started=time.monotonic(), every_s=0, echo=out.append)
    quiet = UpState(phase="running")
    every_call(quiet)
    every_call(quiet)
    assert len(out) == 5


def test_first_signal_asks_for_a_graceful_stop_second_one_interrupts() -> None:
    from consumers.cli.up_cmd import stop_on_signals

    stop = threading.Event()
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    with stop_on_signals(stop, running=lambda: True):
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.wait(5)
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before
    not_running = threading.Event()
    with stop_on_signals(not_running, running=lambda: False), pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
    assert not not_running.is_set()  # during the deploy there is nothing to stop gracefully
