"""`ccstream up`: everything on the embedded default with live progress (what `make run` runs).

On a terminal the progress is a live view redrawn in place; without one (a pipe, CI, a container log) it is one
plain line every `--progress-every` seconds, so a log shows what is happening. SIGINT (Ctrl-C) and SIGTERM both
ask for a graceful stop: every part stops, the KCL processors flush and checkpoint, and the exit status is 0. A
second signal while stopping, or a signal during the deploy (nothing else runs yet), stops at once.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from consumers.cli.common import names
from consumers.status import status_fields
from consumers.up import UpOptions, UpState, run_up

EXIT_INTERRUPTED = 130


def register(app: typer.Typer) -> None:
    app.command("up")(up)


def _rows(state: UpState, started: float) -> list[tuple[str, str]]:
    """What both views show, as (label, text), in order."""
    rows = [
        ("phase", f"{state.phase}  ({time.monotonic() - started:,.0f}s)"),
        ("events in", f"{state.events_sent:,} data points over {state.minutes_sent} minute(s) of telemetry"),
    ]
    for app in state.consumer:
        rows.append((app.app, f"{app.drained_count}/{app.total} shards checkpointed at their last record, "
                              f"{app.behind} behind"))  # fmt: skip
    if state.status is not None:
        rows += status_fields(state.status, int(time.time() * 1000))
    if state.tokens_last_minute is not None:
        users = state.active_users_last_minute
        text = f"{state.tokens_last_minute:,.0f} tokens" + (f", {users:,.0f} active users" if users is not None else "")
        rows.append(("last minute", text))
    if state.api_requests_15m is not None:
        p95 = "" if state.api_p95_ms is None else f", p95 {state.api_p95_ms:,.0f} ms"
        rows.append(("API requests (events, 15 min)", f"{state.api_requests_15m:,.0f}{p95}"))
    rows.append(("user-day rollups", str(state.rollups)))
    if state.dashboard_url:
        rows.append(("dashboard", state.dashboard_url))
    return rows


def _view(state: UpState, started: float) -> Group:
    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold")
    t.add_column()
    for label, text in _rows(state, started):
        t.add_row(label, text)
    parts: list[Any] = [t]
    for err in state.errors[-3:]:
        parts.append(Text(f"error: {err}", style="red"))
    parts.append(Text("Ctrl-C to stop", style="dim"))
    return Group(*parts)


def plain_line(state: UpState, started: float) -> str:
    """One progress line for logs: `[  12s] running | events in 1,234 data points ... | lag 3s behind ...`."""
    rows = _rows(state, started)
    head = f"[{time.monotonic() - started:5.0f}s] {state.phase}"
    return " | ".join([head, *(f"{label} {text}" for label, text in rows[1:])])


class PlainProgress:
    """Prints `plain_line` at most every `every_s` seconds, at once on a phase change, and each new error once."""

    def __init__(self, started: float, every_s: float, echo: Callable[[str], None] = typer.echo) -> None:
        self.started = started
        self.every_s = every_s
        self.echo = echo
        self._next = 0.0
        self._phase = ""
        self._errors = 0

    def __call__(self, state: UpState) -> None:
        now = time.monotonic()
        for err in state.errors[self._errors :]:
            self.echo(f"error: {err}")
        self._errors = len(state.errors)
        if state.phase != self._phase or now >= self._next:
            self._phase = state.phase
            self._next = now + self.every_s
            self.echo(plain_line(state, self.started))


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event, running: Callable[[], bool]) -> Iterator[None]:
    """SIGINT and SIGTERM set `stop` (a graceful stop); when nothing runs yet, or on a second signal, they raise
    KeyboardInterrupt instead (stop now). The previous handlers come back afterwards."""

    def handler(signum: int, frame: object) -> None:
        if stop.is_set() or not running():
            raise KeyboardInterrupt
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def up(
    users: int = typer.Option(50, "--users", "-u", help="Simulated Claude Code users."),
    seed: int = typer.Option(7, "--seed", help="Random seed of the simulation."),
    port: int = typer.Option(4566, "--port", help="Port of the embedded emulator (127.0.0.1)."),
    backfill: int = typer.Option(10, "--backfill-minutes", help="Minutes of history sent at start."),
    dashboard_port: int = typer.Option(8080, "--dashboard-port", help="Port of the local dashboard."),
    no_dashboard: bool = typer.Option(False, "--no-dashboard", help="Do not serve the dashboard."),
    log_dir: Path = typer.Option(Path(".ccstream/logs"), "--log-dir", help="KCL daemon logs and properties."),
    progress_every: float = typer.Option(
        5.0, "--progress-every", min=0.5, help="Without a terminal: seconds between plain progress lines."
    ),
) -> None:
    """Start the emulator, deploy, stream telemetry for --users, consume with the real KCL, and show progress.

    Stops gracefully on Ctrl-C or SIGTERM (exit status 0)."""
    console = Console()
    opts = UpOptions(
        users=users,
        seed=seed,
        port=port,
        backfill_minutes=backfill,
        dashboard_port=dashboard_port,
        dashboard=not no_dashboard,
        log_dir=log_dir,
    )
    started = time.monotonic()
    stop = threading.Event()
    phase = {"running": False}

    def seen(state: UpState) -> None:
        phase["running"] = state.phase == "running"

    try:
        with stop_on_signals(stop, running=lambda: phase["running"]):
            if console.is_terminal:
                with Live(console=console, refresh_per_second=2, transient=False) as live:

                    def render(state: UpState) -> None:
                        seen(state)
                        live.update(_view(state, started))

                    code = run_up(opts, names(), render=render, say=console.print, stop=stop)
            else:
                plain = PlainProgress(started, progress_every)

                def render_plain(state: UpState) -> None:
                    seen(state)
                    plain(state)

                code = run_up(opts, names(), render=render_plain, say=typer.echo, stop=stop)
    except KeyboardInterrupt:
        typer.echo("stopped at once (interrupted before everything was running, or a second signal)", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    typer.echo("stopped." if code == 0 else "stopped after errors (see above).")
    raise typer.Exit(code)
