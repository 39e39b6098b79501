"""`ccstream collector` runs the real collector in the foreground: warns about --auth none, one line per pipeline."""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from consumers.collector.process import free_port, unverified_tls
from consumers.emulator import EmbeddedEmulator
from tests.collector.otlp_requests import Point, metrics_request

CCSTREAM = Path(sys.executable).parent / "ccstream"


def test_foreground_collector_accepts_otlp_and_stops_on_ctrl_c(emulator: EmbeddedEmulator, tmp_path: Path) -> None:
    port = free_port()
    proc = _collector_cli(emulator, port)
    try:
        assert proc.stdout is not None
        head = [proc.stdout.readline() for _ in range(7)]
        assert [line.split(":")[0] for line in head[2:]] == [
            "pipeline metrics",
            "pipeline metrics/refused",
            "pipeline logs",
            "pipeline metrics/tap",
            "pipeline logs/tap",
        ]
        assert "-> awsemf (log group /aws/claude-code/metrics, stream otel-stream-local)" in head[2]
        assert _post_once_up(f"http://127.0.0.1:{port}/v1/metrics", _commit_body()) == 200
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert "collector stopped" in out
    assert "--auth none" in err and "local use only" in err


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("CCSTREAM_")}


def _commit_body() -> bytes:
    return metrics_request([Point("claude_code.commit.count", "", 1.0, {})], (int(time.time()) - 60) * 10**9)


def _post_once_up(url: str, body: bytes, context: ssl.SSLContext | None = None) -> int:
    """POST `body` as OTLP/JSON, retrying while the collector is not listening yet (60 s); the status, 0 if never."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=5, context=context) as resp:
                return int(resp.status)
        except OSError:
            time.sleep(0.2)
    return 0


def _collector_cli(emulator: EmbeddedEmulator, port: int, *options: str) -> subprocess.Popen[str]:
    """`ccstream collector` in the foreground against the emulator, OTLP/HTTP on `port` (output piped)."""
    return subprocess.Popen(
        [str(CCSTREAM), "collector", "--port", str(port), "--grpc-port", str(free_port()), *options],
        env={**_env(), "AWS_ENDPOINT_URL": emulator.url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_foreground_collector_with_tls_answers_over_https_only(emulator: EmbeddedEmulator) -> None:
    port = free_port()
    proc = _collector_cli(emulator, port, "--tls")
    try:
        assert proc.stdout is not None
        head = [proc.stdout.readline() for _ in range(2)]
        assert f"OTLP/HTTP https://127.0.0.1:{port}" in "".join(head)
        body = _commit_body()
        assert _post_once_up(f"https://127.0.0.1:{port}/v1/metrics", body, unverified_tls()) == 200
        plain = urllib.request.Request(
            f"http://127.0.0.1:{port}/v1/metrics", body, {"Content-Type": "application/json"}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(plain, timeout=5)
        assert refused.value.code == 400
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert "serving a self-signed certificate generated at start" in err
