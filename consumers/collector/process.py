"""Run the built collector as a child process with collector/config.yaml, on loopback ports only.

`start_collector(...)` starts it, waits until its health_check extension reports ready and returns a
`RunningCollector` (also a context manager). `stop()` sends SIGTERM, so the batch processor and the exporters flush
what they hold before the process exits. `collector_command` gives the argv and environment for a foreground run
(`ccstream collector`).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO

from consumers.collector.auth_settings import IdentitySettings
from consumers.collector.build import collector_binary, collector_config
from consumers.collector.settings import ENV_NAMES, CollectorSettings
from consumers.errors import CcstreamError

#: The collector's own counter of points its filter processors dropped (Prometheus name, v0.131.0).
FILTERED_COUNTER = "otelcol_processor_filter_datapoints_filtered_ratio_total"
REFUSE_CUMULATIVE_FILTER = "filter/refuse_cumulative"
#: The authenticator's counter (collector/internal/tokenauth), by result and refusal reason.
AUTH_COUNTER = "ccstream_auth_requests_total"
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def collector_command(
    settings: CollectorSettings, cache_dir: Path | None = None, config_overrides: Sequence[str] = ()
) -> tuple[list[str], dict[str, str]]:
    """The argv and full environment that run the collector with `settings`.

    `config_overrides` are `--set` values (`exporters::awsemf::disable_metric_extraction=true`), for measurements.
    """
    argv = [str(collector_binary(cache_dir)), f"--config={collector_config()}"]
    argv += [f"--set={override}" for override in config_overrides]
    env = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
    if settings.endpoint_url and not env.get("AWS_ACCESS_KEY_ID"):
        # An emulator accepts any credentials; give the AWS SDK some so a fresh shell just works.
        env["AWS_ACCESS_KEY_ID"] = "test"
        env["AWS_SECRET_ACCESS_KEY"] = "test"
    env.update(settings.environment())
    return argv, env


@dataclass
class RunningCollector:
    """A started collector. `otlp_http_url` is the base URL (POST to /v1/metrics and /v1/logs)."""

    process: subprocess.Popen[bytes]
    settings: CollectorSettings
    log_file: Path
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def scheme(self) -> str:
        return "https" if self.settings.tls else "http"

    @property
    def otlp_http_url(self) -> str:
        return f"{self.scheme}://{self.settings.host}:{self.settings.http_port}"

    @property
    def otlp_grpc_endpoint(self) -> str:
        return f"{self.settings.host}:{self.settings.grpc_port}"

    @property
    def health_url(self) -> str:
        return f"{self.scheme}://{self.settings.host}:{self.settings.health_port}/"

    def ssl_context(self) -> ssl.SSLContext | None:
        """For HTTPS to this collector: its certificate is generated at start, so (like the ALB) not verified."""
        return unverified_tls() if self.settings.tls else None

    def certificate_fingerprint(self) -> str | None:
        """SHA-256 (hex) of the self-signed certificate, as the collector logged it at start (None without TLS)."""
        match = re.search(
            r"self-signed certificate generated at start \(ECDSA P-256, SHA-256 ([0-9a-f]{64})", self.log_text()
        )
        return match.group(1) if match else None

    @property
    def telemetry_url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.telemetry_port}/metrics"

    @property
    def file_tap(self) -> Path | None:
        return self.settings.file_tap

    def running(self) -> bool:
        return self.process.poll() is None

    def telemetry(self) -> str:
        """The collector's own metrics (Prometheus text)."""
        with urllib.request.urlopen(self.telemetry_url, timeout=10) as resp:
            return str(resp.read().decode())

    def refused_cumulative_points(self) -> int:
        """Cumulative data points refused so far (the collector's filter counter; 0 before the first)."""
        return filtered_points(self.telemetry(), REFUSE_CUMULATIVE_FILTER)

    def auth_requests(self, result: str, reason: str | None = None) -> int:
        """Requests the authenticator accepted or refused so far (`reason` narrows refusals: `expired`, …)."""
        return auth_requests(self.telemetry(), result, reason)

    def log_text(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> int:
        """SIGTERM (the batch processor and exporters flush), SIGKILL after `timeout_s`. Returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        return int(self.process.returncode)

    def __enter__(self) -> RunningCollector:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def unverified_tls() -> ssl.SSLContext:
    """TLS without certificate verification: for a collector's self-signed certificate on loopback."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def filtered_points(prometheus_text: str, filter_id: str) -> int:
    """The value of the filter processor's dropped-points counter for one filter instance (0 when absent)."""
    pattern = re.compile(rf'^{FILTERED_COUNTER}\{{[^}}]*filter="{re.escape(filter_id)}"[^}}]*\}} (\S+)$', re.M)
    match = pattern.search(prometheus_text)
    return int(float(match.group(1))) if match else 0


def auth_requests(prometheus_text: str, result: str, reason: str | None = None) -> int:
    """Sum of the authenticator's counter over the series with this result (and reason)."""
    total = 0.0
    for match in re.finditer(rf"^{AUTH_COUNTER}\{{([^}}]*)\}} (\S+)$", prometheus_text, re.M):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
        if labels.get("result") == result and (reason is None or labels.get("reason") == reason):
            total += float(match.group(2))
    return int(total)


def start_collector(
    *,
    endpoint_url: str,
    region: str,
    http_port: int = 4318,
    grpc_port: int | None = None,
    file_tap: Path | None = None,
    auth: str = "none",
    task_id: str = "local",
    metrics_log_group: str = "/aws/claude-code/metrics",
    events_log_group: str = "/aws/claude-code/events",
    log_file: Path | None = None,
    bearer_token: str | None = None,
    batch_timeout: str = "1s",
    cache_dir: Path | None = None,
    config_overrides: Sequence[str] = (),
    identity: IdentitySettings | None = None,
    tls: bool = False,
) -> RunningCollector:
    """Start the collector against `endpoint_url` and wait until it is ready (health_check answers 200)."""
    settings = CollectorSettings(
        region=region,
        endpoint_url=endpoint_url,
        http_port=http_port,
        grpc_port=grpc_port if grpc_port is not None else free_port(),
        health_port=free_port(),
        telemetry_port=free_port(),
        task_id=task_id,
        metrics_log_group=metrics_log_group,
        events_log_group=events_log_group,
        file_tap=file_tap,
        auth=auth,
        bearer_token=bearer_token,
        batch_timeout=batch_timeout,
        identity=identity or IdentitySettings(),
        tls=tls,
    )
    argv, env = collector_command(settings, cache_dir, config_overrides)
    if log_file is None:
        fd, name = tempfile.mkstemp(prefix="ccstream-collector-", suffix=".log")
        os.close(fd)
        log_file = Path(name)
    log = log_file.open("wb")
    process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    collector = RunningCollector(process=process, settings=settings, log_file=log_file, _log=log)
    try:
        _wait_ready(collector, READY_TIMEOUT_S)
    except BaseException:
        collector.stop(timeout_s=5)
        raise
    return collector


def _wait_ready(collector: RunningCollector, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not collector.running():
            raise CcstreamError(
                f"the collector exited with {collector.process.returncode} before it was ready; "
                f"its log ({collector.log_file}) ends:\n{_tail(collector.log_text())}"
            )
        with (
            contextlib.suppress(OSError, urllib.error.URLError),
            urllib.request.urlopen(collector.health_url, timeout=2, context=collector.ssl_context()) as resp,
        ):
            if resp.status == 200:
                return
        time.sleep(0.05)
    raise CcstreamError(
        f"the collector was not ready within {timeout_s:.0f}s; its log ({collector.log_file}) ends:\n"
        f"{_tail(collector.log_text())}"
    )


def _tail(text: str, lines: int = 20) -> str:
    return "\n".join(text.splitlines()[-lines:])
