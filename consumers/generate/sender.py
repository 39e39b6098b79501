"""POST OTLP/HTTP JSON metric requests to a collector (`<base>/v1/metrics`), as the CLI's exporter does.

Only transient failures are retried — a 5xx answer or a connection error (refused, reset, timed out) — with
capped exponential backoff; a 4xx answer is the request's own fault and raises `OtlpRejected` at once. Each
sender keeps one persistent HTTP/1.1 connection per worker thread.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

METRICS_PATH = "/v1/metrics"
CONTENT_TYPE = "application/json"


class OtlpRejected(Exception):
    """The collector refused a request permanently (4xx)."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"collector answered {status}: {body[:300]!r}")
        self.status = status


class OtlpUnavailable(Exception):
    """The collector stayed unreachable or failing (5xx) through every retry."""


@dataclass
class SendStats:
    requests: int = 0
    bytes: int = 0
    retries: int = 0


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    first_backoff_s: float = 0.2
    max_backoff_s: float = 5.0

    def backoff_s(self, attempt: int) -> float:
        return float(min(self.max_backoff_s, self.first_backoff_s * 2**attempt))


class OtlpSender:
    """Sends request bodies to `endpoint` (a base URL like `http://127.0.0.1:4318`, or the full `/v1/metrics`)."""

    def __init__(
        self,
        endpoint: str,
        *,
        timeout_s: float = 10.0,
        retry: RetryPolicy | None = None,
        headers: dict[str, str] | None = None,
        sleep_s: Callable[[float], object] = time.sleep,
        signal_path: str = METRICS_PATH,
    ) -> None:
        """`signal_path`: `/v1/metrics` (default) or `/v1/logs` for events."""
        parts = urlsplit(endpoint)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"OTLP endpoint must be an http:// URL, got {endpoint!r}")
        self._host, self._port = parts.hostname, parts.port or 80
        path = parts.path.rstrip("/")
        self.path = path if path.endswith(signal_path) else path + signal_path
        self.url = f"http://{self._host}:{self._port}{self.path}"
        self._timeout_s = timeout_s
        self._retry = retry or RetryPolicy()
        self._headers = {"Content-Type": CONTENT_TYPE, **(headers or {})}
        self._sleep_s = sleep_s
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[http.client.HTTPConnection] = []
        self.stats = SendStats()

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout_s)
            with self._lock:
                self._open.append(conn)
        return conn

    def _drop_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def send(self, body: bytes) -> None:
        """POST one request; retries transient failures, raises OtlpRejected / OtlpUnavailable."""
        last = ""
        for attempt in range(self._retry.attempts):
            if attempt:
                with self._lock:
                    self.stats.retries += 1
                self._sleep_s(self._retry.backoff_s(attempt - 1))
            try:
                conn = self._connection()
                conn.request("POST", self.path, body=body, headers=self._headers)
                response = conn.getresponse()
                answer = response.read()
            except (OSError, http.client.HTTPException) as exc:
                self._drop_connection()
                last = f"{type(exc).__name__}: {exc}"
                continue
            if 200 <= response.status < 300:
                with self._lock:
                    self.stats.requests += 1
                    self.stats.bytes += len(body)
                return
            if response.status >= 500:
                last = f"HTTP {response.status}: {answer[:200]!r}"
                continue
            raise OtlpRejected(response.status, answer)
        raise OtlpUnavailable(f"{self.url}: gave up after {self._retry.attempts} attempts ({last})")

    def send_all(self, bodies: Iterable[bytes], workers: int = 1) -> int:
        """Send every body (on `workers` threads); returns how many were sent. The first failure is raised."""
        if workers <= 1:
            count = 0
            for body in bodies:
                self.send(body)
                count += 1
            return count
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="otlp-send") as pool:
            return sum(1 for _ in pool.map(self.send, bodies))

    def close(self) -> None:
        """Close every connection any thread opened."""
        with self._lock:
            conns, self._open = self._open, []
        for conn in conns:
            conn.close()
