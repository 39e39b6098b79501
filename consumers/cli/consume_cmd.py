"""`ccstream consume`: run the KCL consumers (the real Java MultiLangDaemon) on the metrics stream.

The work is done by `consumers.kcl.runner.run_consumers`; this module parses options, prints progress and turns
Ctrl-C / SIGTERM into a graceful stop.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import typer

from consumers.cli.common import EndpointOption, RegionOption, names, target
from consumers.kcl.daemon import OUTPUTS, default_log_dir, default_output
from consumers.kcl.drain import AppDrain
from consumers.kcl.runner import default_worker_id, run_consumers, standard_apps


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("consume")(consume)


class ProgressPrinter:
    """Prints one status line per poll when it changes (overwriting it in place on a terminal), and remembers when
    every shard was last seen drained and checkpointed (`drained_s`, seconds after start; None while not)."""

    def __init__(self, tty: bool, clock_s: Callable[[], float] = time.monotonic) -> None:
        self.tty = tty
        self.clock_s = clock_s
        self.started_s = clock_s()
        self.drained_s: float | None = None
        self._last = ""

    def __call__(self, statuses: Sequence[AppDrain]) -> None:
        if not all(s.all_drained for s in statuses):
            self.drained_s = None
        elif self.drained_s is None:
            self.drained_s = self.clock_s() - self.started_s
        line = " | ".join(s.summary() for s in statuses)
        if line == self._last:
            return
        self._last = line
        if self.tty:
            typer.echo(f"\r\x1b[2K{line}", nl=False)
        else:
            typer.echo(line)

    def finish(self) -> None:
        if self.tty and self._last:
            typer.echo("")


@contextlib.contextmanager
def _sigterm_sets(event: threading.Event) -> Iterator[None]:
    """While inside, SIGTERM (e.g. a container stop) requests a graceful stop instead of killing us."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda *_: event.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def consume(
    until_idle: float | None = typer.Option(
        None,
        "--until-idle",
        metavar="SECONDS",
        help="Exit 0 once every shard is drained and checkpointed and nothing new arrived for SECONDS.",
        show_default=False,
    ),
    app_choice: str = typer.Option(
        "all",
        "--app",
        help="Which KCL application to run: aggregator, lake, events, all (aggregator and lake), everything, or "
        "aggregates (aggregator and events: the ECS task on AWS, where Firehose writes the metrics lake).",
        metavar="aggregator|lake|events|all|everything|aggregates",
    ),
    worker_id: str | None = typer.Option(
        None,
        "--worker-id",
        help="KCL worker id (default: 'ccstream-local' on an emulator, '<hostname>-<random>' on AWS).",
        show_default=False,
    ),
    log_dir: Path | None = typer.Option(
        None,
        "--log-dir",
        help="Where each daemon's rendered properties and log are written "
        "(default: $CCSTREAM_LOG_DIR, else <temp dir>/ccstream/logs, writable on a read-only root).",
        show_default=False,
    ),
    daemon_output: str | None = typer.Option(
        None,
        "--daemon-output",
        metavar="file|stderr",
        help="Daemon and processor output: a file in LOG_DIR, or this process's stderr (containers: awslogs "
        "reads it). Default: $CCSTREAM_DAEMON_OUTPUT, else file.",
        show_default=False,
    ),
    max_restarts: int = typer.Option(
        3,
        "--max-restarts",
        help="Restart a daemon whose record processor exited (its shards resume from their checkpoints).",
    ),
    endpoint_url: str | None = EndpointOption,
    region: str | None = RegionOption,
) -> None:
    """Run the KCL consumers: one Java MultiLangDaemon per application.

    aggregator: python -m consumers.kcl.processor, windowed aggregates into DynamoDB.

    lake: python -m consumers.kcl.lake_processor, Parquet files for Athena.

    events: python -m consumers.kcl.events_processor, event aggregates from the events stream.

    Each application has its own lease table (named after it) and reads every record of the stream.
    On an emulator, leases are pre-seeded for a fast start.
    Ctrl-C stops gracefully: processors get shutdown_requested and checkpoint.
    Daemon logs: LOG_DIR/<application>.log, or stderr with --daemon-output stderr.
    """
    aws = target(endpoint_url, region)
    if until_idle is not None and until_idle < 0:
        raise typer.BadParameter("--until-idle must be >= 0 seconds")
    output = daemon_output or default_output()
    if output not in OUTPUTS:
        raise typer.BadParameter(f"--daemon-output must be one of {', '.join(OUTPUTS)}, got {output!r}")
    logs = log_dir or default_log_dir()
    apps = standard_apps(names(), app_choice, worker_id or default_worker_id(aws), aws)
    where = aws.endpoint_url or f"AWS {aws.region}"
    for app in apps:
        typer.echo(f"starting {app.label} ({app.name}) on stream {app.stream} at {where}, worker {app.worker_id}")
    where_logs = "on stderr" if output == "stderr" else f"in {logs}/"
    typer.echo(f"daemon logs {where_logs} ; first records usually arrive within 10-20 s locally. Ctrl-C to stop.")
    printer = ProgressPrinter(tty=sys.stdout.isatty())
    stop = threading.Event()
    try:
        with _sigterm_sets(stop):
            code = run_consumers(
                aws,
                apps,
                log_dir=logs,
                until_idle_s=until_idle,
                on_progress=printer,
                stop_event=stop,
                max_restarts=max_restarts,
                output=output,
            )
    finally:
        printer.finish()
    typer.echo(_final_line(code, printer))
    raise typer.Exit(code)


def _final_line(code: int, printer: ProgressPrinter) -> str:
    if code != 0:
        return "stopped."
    total_s = printer.clock_s() - printer.started_s
    if printer.drained_s is None:
        return f"idle: every shard drained and checkpointed; stopped after {total_s:.1f}s."
    return (
        f"idle: every shard drained and checkpointed {printer.drained_s:.1f}s after start; "
        f"stopped {total_s - printer.drained_s:.1f}s later."
    )
