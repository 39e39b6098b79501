"""Run one MultiLangDaemon per KCL application until stopped or idle: the engine of `ccstream consume`.

`run_consumers` checks the set-up first (stream, java, jars), pre-seeds leases on an emulator (fast start), starts
a `KclDaemon` per `KclApp`, then loops: every `poll_interval_s` it computes each application's `AppDrain`
(`drain.py`), reports it through `on_progress`, and, with `until_idle_s`, stops once every application has been
drained and checkpointed with nothing moving for that long. Stopping is graceful (SIGTERM to every daemon first,
so all processors get `shutdown_requested` at once, then wait). A daemon that exits on its own stops the others
and raises `DaemonExited` with the tail of its log. Ctrl-C (or `stop_event`) also stops gracefully.

Return value: 0 after an idle stop, 130 after Ctrl-C or `stop_event`.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import util
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError

from consumers.aws import AwsTarget
from consumers.config import Names
from consumers.errors import CcstreamError, ConfigError
from consumers.kcl.daemon import KclDaemon, daemon_env, find_jars_dir, find_java
from consumers.kcl.drain import AppDrain, IdleTracker, app_drain
from consumers.kcl.leases import seed_leases
from consumers.kcl.properties import KclApp
from consumers.kcl.shards import list_shards

log = logging.getLogger("ccstream.kcl")

EXIT_IDLE = 0
EXIT_INTERRUPTED = 130
#: How often daemons are checked for an early exit between drain polls.
LIVENESS_TICK_S = 0.25


class ConsumeTimeout(CcstreamError):
    """`timeout_s` passed before the applications went idle."""


@dataclass(frozen=True)
class AppKind:
    """A ccstream consumer application: its record processor module and its name in `Names`."""

    key: str
    module: str
    description: str

    def app_name(self, names: Names) -> str:
        if self.key == "events":
            return names.events_app
        return names.consumer_app if self.key == "aggregator" else names.lake_app

    def stream(self, names: Names) -> str:
        """Events have a stream of their own (README § Events); both metrics apps read the metrics stream."""
        return names.events_stream if self.key == "events" else names.stream


AGGREGATOR = AppKind("aggregator", "consumers.kcl.processor", "windowed aggregates into DynamoDB")
LAKE = AppKind("lake", "consumers.kcl.lake_processor", "Parquet lake writer")
EVENTS = AppKind("events", "consumers.kcl.events_processor", "event aggregates (latency, errors, tools) into DynamoDB")
APP_KINDS = {k.key: k for k in (AGGREGATOR, LAKE, EVENTS)}
#: `all` is the metrics path (aggregator and lake writer); `everything` adds the events consumer; `aggregates` is
#: what the ECS task runs on AWS, where Firehose writes the metrics lake (one writer per lake: infra/streaming.yaml).
APP_CHOICES = ("aggregator", "lake", "events", "all", "everything", "aggregates")
APP_GROUPS = {
    "all": ("aggregator", "lake"),
    "everything": ("aggregator", "lake", "events"),
    "aggregates": ("aggregator", "events"),
}


def default_worker_id(target: AwsTarget) -> str:
    """Fixed on emulators (a restart renews its own pre-seeded leases at once); unique per process on AWS."""
    if target.is_emulator:
        return "ccstream-local"
    return f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"


def check_importable(python: str, module: str, env: dict[str, str], timeout_s: float = 120.0) -> str | None:
    """Import `module` in a child `python` with the daemon's environment; None when it works, else the error."""
    if util.find_spec(module) is None:
        return f"{module} does not exist"
    result = subprocess.run(
        [python, "-c", f"import {module}"], env=env, capture_output=True, text=True, timeout=timeout_s, check=False
    )
    if result.returncode == 0:
        return None
    return (result.stderr.strip().splitlines() or [f"exit status {result.returncode}"])[-1]


def standard_apps(
    names: Names, which: str, worker_id: str, target: AwsTarget, python: str = sys.executable
) -> list[KclApp]:
    """The `KclApp`s for `--app` (one of APP_CHOICES); a processor that does not import is a `ConfigError`."""
    if which not in APP_CHOICES:
        raise ConfigError(f"--app must be one of {', '.join(APP_CHOICES)}, got {which!r}")
    kinds = [APP_KINDS[k] for k in APP_GROUPS.get(which, (which,))]
    apps = []
    for kind in kinds:
        problem = check_importable(python, kind.module, daemon_env(target))
        if problem is not None:
            other = next(k.key for k in APP_KINDS.values() if k is not kind)
            raise ConfigError(
                f"the {kind.key} record processor {kind.module} cannot be imported by {python}: {problem}. "
                f"Install ccstream and its KCL jars (`make setup`), or run only `--app {other}`."
            )
        apps.append(
            KclApp(
                name=kind.app_name(names),
                stream=kind.stream(names),
                processor_command=(python, "-m", kind.module),
                worker_id=worker_id,
                label=kind.key,
            )
        )
    return apps


def _drain_all(kinesis: Any, ddb: Any, apps: Sequence[KclApp], limit: int) -> list[AppDrain] | None:
    try:
        return [app_drain(kinesis, ddb, app.stream, app.name, limit=limit) for app in apps]
    except (ClientError, BotoCoreError) as exc:
        log.warning("drain check failed (will retry): %s", exc)
        return None


def _stop_all(daemons: Sequence[KclDaemon]) -> None:
    for daemon in daemons:
        daemon.request_stop()
    try:
        for daemon in daemons:
            daemon.stop()
    except KeyboardInterrupt:
        for daemon in daemons:
            daemon.kill()
        raise


def _preflight(target: AwsTarget, apps: Sequence[KclApp], kinesis: Any, ddb: Any, pre_seed: bool) -> None:
    """Fail early with a fix (java, jars, reachable endpoint, existing stream); pre-seed leases on emulators."""
    find_java()
    find_jars_dir()
    try:
        for stream in sorted({app.stream for app in apps}):
            shards = list_shards(kinesis, stream)  # ConfigError when the stream is missing
            if target.is_emulator and pre_seed:
                for app in (a for a in apps if a.stream == stream):
                    seeded = seed_leases(ddb, app.name, shards, app.worker_id)
                    log.info("%s: pre-seeded %d leases for worker %s", app.name, len(seeded), app.worker_id)
    except EndpointConnectionError as exc:
        raise ConfigError(
            f"cannot reach {exc.kwargs.get('endpoint_url')}: start the emulator (`ccstream emulator`) "
            "or fix --endpoint-url / AWS_ENDPOINT_URL."
        ) from exc
    except NoCredentialsError as exc:
        raise ConfigError("no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.") from exc


def run_consumers(
    target: AwsTarget,
    apps: Sequence[KclApp],
    *,
    log_dir: Path,
    until_idle_s: float | None = None,
    pre_seed: bool = True,
    poll_interval_s: float | None = None,
    timeout_s: float | None = None,
    on_progress: Callable[[Sequence[AppDrain]], None] | None = None,
    stop_event: threading.Event | None = None,
    kinesis: Any | None = None,
    ddb: Any | None = None,
    clock_ms: Callable[[], int] = lambda: int(time.monotonic() * 1000),
    max_restarts: int = 0,
    output: str = "file",
) -> int:
    """Run a MultiLangDaemon per app until idle (`until_idle_s`), Ctrl-C or `stop_event`; see the module doc.

    A record processor that exits (on purpose, so its shard is replayed from the last checkpoint) makes KCL 2.5
    stop its whole daemon; up to `max_restarts` such exits restart that daemon, which resumes every shard from
    its checkpoint. Beyond that, `DaemonExited` is raised. `output` is where the daemons' output goes ("file":
    `<log_dir>/<app>.log`; "stderr": this process's stderr, for containers)."""
    if not apps:
        raise ConfigError("no KCL application to run")
    kinesis = kinesis or target.client("kinesis")
    ddb = ddb or target.client("dynamodb")
    _preflight(target, apps, kinesis, ddb, pre_seed)
    interval_s = poll_interval_s if poll_interval_s is not None else (2.0 if target.is_emulator else 10.0)
    trackers = {app.name: IdleTracker(int((until_idle_s or 0) * 1000)) for app in apps}
    daemons = [KclDaemon(app, target, log_dir, output) for app in apps]
    started_ms = clock_ms()
    try:
        for daemon in daemons:
            daemon.start()
            log.info("%s: MultiLangDaemon pid %s, log %s", daemon.app.name, daemon.pid, daemon.files.log)
        next_poll_ms = clock_ms()
        while True:
            if stop_event is not None and stop_event.is_set():
                _stop_all(daemons)
                return EXIT_INTERRUPTED
            dead = next((d for d in daemons if d.exit_code() is not None), None)
            if dead is not None:
                if max_restarts <= 0:
                    _stop_all(daemons)
                    raise dead.died_error()
                max_restarts -= 1
                log.warning("%s: daemon exited (%s); restarting from the checkpoints", dead.app.name, dead.exit_code())
                replacement = KclDaemon(dead.app, target, log_dir, output)
                daemons[daemons.index(dead)] = replacement
                replacement.start()
            now_ms = clock_ms()
            if timeout_s is not None and now_ms - started_ms > timeout_s * 1000:
                _stop_all(daemons)
                raise ConsumeTimeout(
                    f"not idle after {timeout_s:.0f}s; see the daemon logs in {log_dir} for what the KCL is doing"
                )
            if now_ms >= next_poll_ms:
                next_poll_ms = now_ms + int(interval_s * 1000)
                statuses = _drain_all(kinesis, ddb, apps, limit=25)
                if statuses is not None:
                    if on_progress is not None:
                        on_progress(statuses)
                    idle = [trackers[s.app].observe(s, now_ms) for s in statuses]
                    if until_idle_s is not None and all(idle):
                        _stop_all(daemons)
                        return EXIT_IDLE
            time.sleep(LIVENESS_TICK_S)
    except KeyboardInterrupt:
        _stop_all(daemons)
        return EXIT_INTERRUPTED
    except BaseException:
        for daemon in daemons:
            daemon.kill()
        raise
