"""`ccstream up`: everything on the embedded default with live progress (what `make run` runs)."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from consumers.cli.common import names
from consumers.up import UpOptions, UpState, run_up


def register(app: typer.Typer) -> None:
    app.command("up")(up)


def _view(state: UpState, started: float) -> Group:
    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold")
    t.add_column()
    t.add_row("phase", f"{state.phase}  ({time.monotonic() - started:,.0f}s)")
    t.add_row("events in", f"{state.events_sent:,} EMF lines over {state.minutes_sent} minute(s) of telemetry")
    for app in state.consumer:
        t.add_row(
            app.app, f"{app.drained_count}/{app.total} shards checkpointed at their last record, {app.behind} behind"
        )
    s = state.status
    if s is not None:
        t.add_row("points aggregated", f"{s.get('points'):,} from {s.get('records'):,} records")
        t.add_row("windows written", f"{s.get('rows_written'):,} row writes (1m/1h/1d partials)")
        t.add_row("duplicates dropped", f"{s.get('duplicate_records'):,} records")
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(s.dead_letters_by_reason.items())) or "none"
        t.add_row("dead-lettered", f"{s.dead_letters:,} ({reasons})")
        if s.watermark_ms:
            t.add_row("lag", f"{max(0.0, time.time() - s.watermark_ms / 1000):,.0f}s behind newest event time")
    if state.tokens_last_minute is not None:
        users = state.active_users_last_minute
        t.add_row(
            "last minute",
            f"{state.tokens_last_minute:,.0f} tokens" + (f", {users:,.0f} active users" if users is not None else ""),
        )
    t.add_row("user-day rollups", str(state.rollups))
    if state.dashboard_url:
        t.add_row("dashboard", state.dashboard_url)
    parts: list[object] = [t]
    for err in state.errors[-3:]:
        parts.append(Text(f"error: {err}", style="red"))
    parts.append(Text("Ctrl-C to stop", style="dim"))
    return Group(*parts)  # type: ignore[arg-type]


def up(
    users: int = typer.Option(50, "--users", "-u", help="Simulated Claude Code users."),
    seed: int = typer.Option(7, "--seed", help="Random seed of the simulation."),
    port: int = typer.Option(4566, "--port", help="Port of the embedded emulator (127.0.0.1)."),
    backfill: int = typer.Option(10, "--backfill-minutes", help="Minutes of history sent at start."),
    dashboard_port: int = typer.Option(8080, "--dashboard-port", help="Port of the local dashboard."),
    no_dashboard: bool = typer.Option(False, "--no-dashboard", help="Do not serve the dashboard."),
    log_dir: Path = typer.Option(Path(".ccstream/logs"), "--log-dir", help="KCL daemon logs and properties."),
) -> None:
    """Start the emulator, deploy, stream telemetry for --users, consume with the real KCL, and show progress."""
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

    def on_sigterm(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # stop as on Ctrl-C: daemons get shutdown_requested and checkpoint

    signal.signal(signal.SIGTERM, on_sigterm)
    with Live(console=console, refresh_per_second=2, transient=False) as live:
        code = run_up(opts, names(), render=lambda s: live.update(_view(s, started)), say=console.print)
    raise typer.Exit(code)
