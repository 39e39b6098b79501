"""Run the real KCL MultiLangDaemon (Java) for one `KclApp` as a child process.

How it works:

* `find_jars_dir` locates the KCL 2.5.8 jars inside the installed official `amazon_kclpy` package
  (`scripts/install_kclpy.py` puts them there; `CCSTREAM_KCL_JARS` overrides).
* `java_command` builds `java [-Daws.cborEnabled=false] -cp '<jars>/*' software.amazon.kinesis.multilang.
  MultiLangDaemon --properties-file F`. The CBOR switch is required on emulators (moto speaks JSON only).
* `daemon_env` is this process's environment plus the target's endpoint, region and (on emulators) dummy
  credentials, and the project root on PYTHONPATH; the record processors the daemon spawns inherit it, so
  `AWS_*` and `CCSTREAM_*` settings reach them.
* `KclDaemon.start` renders the properties file (see `properties.py`) and starts the JVM in its own process
  group, stdout+stderr (logback output and the processors' re-logged stderr) appended to `<log_dir>/<app>.log`,
  or, with `output="stderr"` (a container: ECS's awslogs driver reads the container's stdout/stderr), passed
  straight to this process's stderr.
* `default_log_dir` is writable by design: `$CCSTREAM_LOG_DIR`, else `<temp dir>/ccstream/logs` (`$TMPDIR`, then
  /tmp), never a path relative to the working directory, which is read-only in the consumer's ECS task.
  Lease pre-seeding for fast local starts is done by the caller before `start` (see `leases.py`, `runner.py`).
* `KclDaemon.stop` sends SIGTERM: the daemon's shutdown hook asks every processor to finish (`shutdown_requested`,
  final checkpoint) within `shutdownGraceMillis`; after that the whole process group is killed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import util
from pathlib import Path
from typing import IO

import consumers
from consumers.aws import AwsTarget
from consumers.errors import CcstreamError, ConfigError
from consumers.kcl.properties import KclApp, render_properties

MAIN_CLASS = "software.amazon.kinesis.multilang.MultiLangDaemon"
MULTILANG_JAR = "amazon-kinesis-client-multilang-2.5.8.jar"
JARS_ENV = "CCSTREAM_KCL_JARS"
LOG_DIR_ENV = "CCSTREAM_LOG_DIR"
OUTPUT_ENV = "CCSTREAM_DAEMON_OUTPUT"
OUTPUTS = ("file", "stderr")
INSTALL_HINT = "run `make setup` (or `python scripts/install_kclpy.py --cache .cache/kcl`) to install the KCL jars"


class DaemonExited(CcstreamError):
    """The MultiLangDaemon stopped on its own; the message carries the tail of its log."""


def default_log_dir(env: dict[str, str] | None = None) -> Path:
    """`$CCSTREAM_LOG_DIR`, else `<temp dir>/ccstream/logs`: somewhere writable even on a read-only root."""
    override = (env if env is not None else os.environ).get(LOG_DIR_ENV)
    if override:
        return Path(override)
    return Path(tempfile.gettempdir()) / "ccstream" / "logs"


def default_output(env: dict[str, str] | None = None) -> str:
    """Where daemon output goes: `$CCSTREAM_DAEMON_OUTPUT` (file or stderr), default file."""
    value = (env if env is not None else os.environ).get(OUTPUT_ENV) or "file"
    if value not in OUTPUTS:
        raise ConfigError(f"{OUTPUT_ENV} must be one of {', '.join(OUTPUTS)}, got {value!r}")
    return value


def find_jars_dir(env: dict[str, str] | None = None) -> Path:
    """The folder holding the KCL jars: $CCSTREAM_KCL_JARS, else `amazon_kclpy/jars` of the installed package."""
    override = (env if env is not None else os.environ).get(JARS_ENV)
    if override:
        path = Path(override)
        if not (path / MULTILANG_JAR).is_file():
            raise ConfigError(f"{JARS_ENV}={override} has no {MULTILANG_JAR}; unset it or {INSTALL_HINT}")
        return path
    spec = util.find_spec("amazon_kclpy")
    if spec is None or spec.origin is None:
        raise ConfigError(f"amazon_kclpy is not installed in this Python; {INSTALL_HINT}")
    path = Path(spec.origin).parent / "jars"
    if not (path / MULTILANG_JAR).is_file():
        raise ConfigError(f"{path} has no {MULTILANG_JAR}; {INSTALL_HINT}")
    return path


def find_java(env: dict[str, str] | None = None) -> str:
    """`$JAVA_HOME/bin/java` when set, else `java` on PATH."""
    environ = env if env is not None else os.environ
    home = environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    found = shutil.which("java", path=environ.get("PATH"))
    if not found:
        raise ConfigError("java not found: install a Java 17+ runtime (e.g. openjdk-17-jre-headless) or set JAVA_HOME")
    return found


def java_command(java: str, jars_dir: Path, properties_file: Path, target: AwsTarget) -> list[str]:
    """The MultiLangDaemon command line for a rendered properties file."""
    cmd = [java]
    if target.is_emulator:
        cmd.append("-Daws.cborEnabled=false")
    return [*cmd, "-cp", f"{jars_dir}/*", MAIN_CLASS, "--properties-file", str(properties_file)]


def project_root() -> Path:
    """The folder that contains the `consumers` package (so processors import it even when not installed)."""
    return Path(consumers.__file__).resolve().parent.parent


def daemon_env(target: AwsTarget, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for the daemon and, through inheritance, its record processors."""
    env = dict(base if base is not None else os.environ)
    env["AWS_REGION"] = target.region
    env["AWS_DEFAULT_REGION"] = target.region
    if target.endpoint_url:
        env["AWS_ENDPOINT_URL"] = target.endpoint_url
        if not env.get("AWS_ACCESS_KEY_ID") and not env.get("AWS_PROFILE"):
            env["AWS_ACCESS_KEY_ID"] = "test"
            env["AWS_SECRET_ACCESS_KEY"] = "test"
    else:
        env.pop("AWS_ENDPOINT_URL", None)
    root = str(project_root())
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join([root, *[p for p in paths if p != root]])
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _die_with_parent() -> None:
    """Linux: have the kernel SIGTERM the daemon when the Python process that started it dies (even by SIGKILL),
    so no orphaned JVM keeps consuming (and stealing leases) after `ccstream up`/`consume` is gone."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def _stderr_fd() -> int:
    """This process's real stderr descriptor (2 when sys.stderr is replaced by something without one)."""
    try:
        return sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return 2


@dataclass(frozen=True)
class DaemonFiles:
    """Where one daemon's rendered properties and log live."""

    properties: Path
    log: Path

    @classmethod
    def for_app(cls, log_dir: Path, app: KclApp) -> DaemonFiles:
        return cls(properties=log_dir / f"{app.name}.properties", log=log_dir / f"{app.name}.log")


def log_tail(path: Path, lines: int = 40) -> str:
    """The last `lines` lines of a log file ('' when missing)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


class KclDaemon:
    """One MultiLangDaemon process for one `KclApp`. Create, `start()`, poll `exit_code()`, then `stop()`."""

    def __init__(self, app: KclApp, target: AwsTarget, log_dir: Path, output: str = "file") -> None:
        if output not in OUTPUTS:
            raise ConfigError(f"daemon output must be one of {', '.join(OUTPUTS)}, got {output!r}")
        self.app = app
        self.target = target
        self.output = output
        self.files = DaemonFiles.for_app(log_dir, app)
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def prepare(self) -> list[str]:
        """Write the properties file and return the command line (no process started)."""
        self.files.properties.parent.mkdir(parents=True, exist_ok=True)
        self.files.properties.write_text(render_properties(self.app, self.target), encoding="utf-8")
        return java_command(find_java(), find_jars_dir(), self.files.properties, self.target)

    def start(self) -> KclDaemon:
        if self._process is not None:
            raise RuntimeError("daemon already started")
        cmd = self.prepare()
        banner = f"\n=== ccstream: starting {' '.join(cmd)}\n"
        sink: IO[bytes] | int
        if self.output == "stderr":
            sys.stderr.write(banner)
            sys.stderr.flush()
            sink = _stderr_fd()
        else:
            self._log = self.files.log.open("ab")
            self._log.write(banner.encode())
            self._log.flush()
            sink = self._log
        self._process = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=daemon_env(self.target),
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        return self

    def exit_code(self) -> int | None:
        """None while running; the exit status once the JVM has stopped."""
        return None if self._process is None else self._process.poll()

    def request_stop(self) -> None:
        """Send SIGTERM (graceful: the daemon asks its processors to finish and checkpoint)."""
        if self._process is not None and self._process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.send_signal(signal.SIGTERM)

    def stop(self, timeout_s: float | None = None) -> int | None:
        """`request_stop`, wait up to `timeout_s` (default: the grace period + 10 s), then kill the group."""
        proc = self._process
        if proc is None:
            return None
        wait_s = timeout_s if timeout_s is not None else self.app.shutdown_grace_ms / 1000 + 10
        self.request_stop()
        try:
            proc.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            self.kill()
        self._reap_group(proc.pid)
        self._close_log()
        return proc.returncode

    def _close_log(self) -> None:
        if self._log:
            self._log.close()
            self._log = None

    def kill(self) -> None:
        """SIGKILL the daemon and every record processor in its process group."""
        proc = self._process
        if proc is None or proc.returncode is not None:
            self._close_log()
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        self._close_log()

    @staticmethod
    def _reap_group(pgid: int, grace_s: float = 3.0) -> None:
        """Give record processors left in the group a moment to see EOF, then kill any that remain."""
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except (ProcessLookupError, PermissionError):
                return
            time.sleep(0.1)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)

    def died_error(self) -> DaemonExited:
        code = self.exit_code()
        if self.output == "stderr":
            return DaemonExited(
                f"the KCL daemon for {self.app.display_name} exited with status {code}; its output is on stderr above"
            )
        return DaemonExited(
            f"the KCL daemon for {self.app.display_name} exited with status {code}; "
            f"last lines of {self.files.log}:\n{log_tail(self.files.log)}"
        )
