"""LocalStack's open-source core as a host process on loopback, the second emulator ccstream is tested against.

`scripts/install_localstack.py` (the Makefile's `localstack` target) puts a Python 3.13 venv with
localstack-core 2026.3.0 and the back ends LocalStack would otherwise download (kinesis-mock, DynamoDB Local, a
Java link) under `.cache/localstack/`. `LocalStack` starts `python -m localstack.runtime.main` from that venv
with a fresh `FILESYSTEM_ROOT` whose `usr/lib/localstack` links to the cached back ends, waits for its health
endpoint, and stops the whole process group (LocalStack, kinesis-mock, DynamoDB Local) at the end.

DynamoDB Local binds every interface, whatever LocalStack asks of it. So LocalStack only starts inside a private
network namespace (`private_network_command` wraps a command in `unshare -n` with `lo` up), where "every
interface" is loopback alone; whoever talks to it (boto3, the KCL daemon, the collector) runs in there too.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from consumers.emulator.server import free_port
from consumers.errors import ConfigError

#: The version `scripts/install_localstack.py` installs (and docker-compose.yml's image is compared with).
LOCALSTACK_CORE_VERSION = "2026.3.0"
DEFAULT_CACHE = Path(__file__).resolve().parents[2] / ".cache" / "localstack"
#: Set by `private_network_command` for the command it wraps.
NETNS_MARKER = "CCSTREAM_PRIVATE_NETNS"


def localstack_env(filesystem_root: Path, port: int) -> dict[str, str]:
    """The settings LocalStack runs with here (docker-compose.yml sets the same ones)."""
    return {
        "FILESYSTEM_ROOT": str(filesystem_root),
        "OVERRIDE_IN_DOCKER": "0",  # our machines have /.dockerenv; LocalStack must not think it is its image
        "GATEWAY_SERVER": "hypercorn",  # h2c with prior knowledge, which the KCL's Kinesis client needs
        "GATEWAY_LISTEN": f"127.0.0.1:{port}",
        "DNS_ADDRESS": "0",  # no DNS server of its own
        "DISABLE_EVENTS": "1",  # no analytics events
        "SKIP_SSL_CERT_DOWNLOAD": "1",
        "DYNAMODB_IN_MEMORY": "1",
    }


@dataclass(frozen=True)
class LocalStackInstall:
    """Where `scripts/install_localstack.py` put everything."""

    cache: Path = DEFAULT_CACHE

    @property
    def python(self) -> Path:
        return self.cache / "venv" / "bin" / "python"

    @property
    def lib(self) -> Path:
        return self.cache / "lib"

    def problem(self) -> str | None:
        """None when installed, else what is missing and how to install it."""
        if not (self.cache / ".installed").exists() or not self.python.exists():
            return f"LocalStack is not installed in {self.cache}: run `make localstack`"
        return None


def network_is_private() -> bool:
    """True when this process's network namespace has no interface but loopback."""
    lines = Path("/proc/net/dev").read_text().splitlines()[2:]
    names = {line.split(":", 1)[0].strip() for line in lines if ":" in line}
    return names <= {"lo"}


def can_make_private_network() -> str | None:
    """None when `unshare -n` works here (root, util-linux), else why not."""
    try:
        probe = subprocess.run(["unshare", "-n", "--", "true"], capture_output=True, text=True, timeout=30, check=False)
    except FileNotFoundError:
        return "`unshare` (util-linux) is not installed"
    if probe.returncode != 0:
        return f"`unshare -n` failed (it needs root): {probe.stderr.strip()}"
    return None


def private_network_command(argv: list[str]) -> list[str]:
    """`argv` run in a new network namespace that has only `lo`, brought up first."""
    script = f'ip link set lo up && {NETNS_MARKER}=1 exec "$@"'
    return ["unshare", "-n", "--", "sh", "-c", script, "sh", *argv]


def _process_group_rss_bytes(pgid: int) -> int:
    page = os.sysconf("SC_PAGE_SIZE")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:  # field 5 of /proc/PID/stat: the process group
                total += int((entry / "statm").read_text().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
    return total


class LocalStack:
    """One LocalStack host process on 127.0.0.1; a context manager. Needs a private network namespace."""

    def __init__(
        self,
        install: LocalStackInstall | None = None,
        *,
        port: int | None = None,
        state_dir: Path | None = None,
        startup_timeout_s: float = 120.0,
    ) -> None:
        self.install = install or LocalStackInstall()
        self.port = port or free_port()
        self.state_dir = state_dir or Path(tempfile.mkdtemp(prefix="ccstream-localstack-"))
        self.startup_timeout_s = startup_timeout_s
        self._process: subprocess.Popen[bytes] | None = None
        self.started_in_s: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.state_dir / "localstack.log"

    def start(self) -> LocalStack:
        problem = self.install.problem()
        if problem is not None:
            raise ConfigError(problem)
        if not network_is_private():
            raise ConfigError(
                "LocalStack's DynamoDB Local binds every interface: start LocalStack (and its clients) inside a "
                "private network namespace, e.g. through consumers.emulator.localstack.private_network_command"
            )
        root = self.state_dir / "root"
        (root / "usr" / "lib").mkdir(parents=True, exist_ok=True)
        link = root / "usr" / "lib" / "localstack"
        if not link.exists():
            link.symlink_to(self.install.lib.resolve(), target_is_directory=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LOCALSTACK_"))}
        env.update(localstack_env(root, self.port))
        began = time.monotonic()
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [str(self.install.python), "-m", "localstack.runtime.main"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.state_dir,
                start_new_session=True,  # its own process group: stop() ends kinesis-mock and DynamoDB Local too
            )
        self._wait_ready(began)
        self.started_in_s = time.monotonic() - began
        return self

    def _wait_ready(self, began: float) -> None:
        assert self._process is not None
        while time.monotonic() - began < self.startup_timeout_s:
            if self._process.poll() is not None:
                raise ConfigError(f"LocalStack exited with {self._process.returncode}:\n{self.log_tail()}")
            if self.health() is not None:
                return
            time.sleep(0.25)
        self.stop()
        raise ConfigError(f"LocalStack did not answer within {self.startup_timeout_s:.0f} s:\n{self.log_tail()}")

    def health(self) -> dict[str, object] | None:
        """LocalStack's `/_localstack/health` document, or None while it does not answer."""
        try:
            with urllib.request.urlopen(f"{self.url}/_localstack/health", timeout=2) as response:
                doc = json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError):
            return None
        return doc if isinstance(doc, dict) else None

    def rss_bytes(self) -> int:
        """Resident memory of LocalStack and every back end it started (its whole process group)."""
        return _process_group_rss_bytes(self._process.pid) if self._process is not None else 0

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout_s: float = 20.0) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        for sig, wait_s in ((signal.SIGTERM, timeout_s), (signal.SIGKILL, 10.0)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            try:
                process.wait(timeout=wait_s)
                if not _process_group_rss_bytes(process.pid):
                    break
                time.sleep(1.0)
            except subprocess.TimeoutExpired:
                continue
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # back ends that outlived LocalStack itself

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
