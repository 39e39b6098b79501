"""`ccstream generate`: realistic synthetic Claude Code telemetry as the CLI's OTLP requests, or as the EMF lines the
real collector writes for them (the collector model, proven line for line against it) and captured Kinesis records."""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, TypeVar

import typer

from consumers.config import Names
from consumers.errors import ConfigError
from consumers.generate.output import OutputFormat, format_for_path, write_emf, write_kinesis, write_otlp
from consumers.generate.simulator import simulate_exports, simulate_minutes

MINUTE_MS = 60_000
#: CloudWatch Logs refuses events older than 14 days or more than 2 hours ahead (a minute of margin each side).
CLOUDWATCH_MAX_AGE_MS = 14 * 86_400_000 - 60_000
CLOUDWATCH_MAX_AHEAD_MS = 2 * 3_600_000 - 60_000
T = TypeVar("T")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("generate")(generate)


def parse_start(text: str | None, minutes: int, now_ms: int) -> int:
    """`--start` as epoch ms; default: `minutes` before the current whole minute (so the data ends now)."""
    if text is None:
        return now_ms - now_ms % MINUTE_MS - minutes * MINUTE_MS
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ConfigError(f"--start {text!r} is not an ISO 8601 time; use e.g. 2026-11-20T22:00:00Z") from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


def generate(
    users: int = typer.Option(20, "--users", "-u", min=1, help="Number of simulated Claude Code users."),
    minutes: int = typer.Option(60, "--minutes", "-m", min=1, help="Simulated minutes."),
    output_format: OutputFormat | None = typer.Option(
        None,
        "--format",
        "-f",
        help="otlp: the CLI's OTLP/HTTP JSON requests, one per line (*.otlp.jsonl), what a collector receives; "
        "emf: the collector's EMF lines for them (*.emf.ndjson); kinesis: those lines as captured Kinesis records "
        "(*.kinesis.jsonl). "
        "Default: from the --out suffix, else emf.",
        show_default=False,
    ),
    start: str | None = typer.Option(
        None,
        "--start",
        help="Start time, ISO 8601 (UTC if no offset). Default: MINUTES before now.",
        show_default=False,
    ),
    seed: int = typer.Option(42, "--seed", help="Random seed: same seed and arguments give the same output."),
    via: str = typer.Option(
        "model",
        "--via",
        help="emf/kinesis only. model: the collector model writes the lines (any size, any time, deterministic); "
        "collector: the real collector (make collector) writes them into CloudWatch Logs on an embedded emulator "
        "and they are read back, with the subscription's Kinesis records (the span must lie in the last 14 days).",
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Output file (default: stdout).", dir_okay=False, show_default=False
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress on stderr."),
    events: bool = typer.Option(
        False, "--events", help="otlp only: also each export's events (an OTLP logs request, after its metrics)."
    ),
) -> None:
    """Simulate USERS developers for MINUTES minutes and write their telemetry.

    Deterministic for the same --seed, --users, --minutes and --start. Output is streamed; progress goes to stderr.
    The files can be sent into a deployment with `ccstream replay`.
    """
    fmt = output_format or (format_for_path(str(out)) if out else None) or OutputFormat.EMF
    now_ms = int(time.time() * 1000)
    start_ms = parse_start(start, minutes, now_ms)
    if via not in ("model", "collector"):
        raise ConfigError("--via must be model or collector")
    if via == "collector" and fmt is not OutputFormat.OTLP:
        _through_collector(users, minutes, start_ms, seed, fmt, out, now_ms, quiet)
        return
    progress = _Progress(minutes, quiet or False)
    with ExitStack() as stack:
        sink: BinaryIO = stack.enter_context(out.open("wb")) if out else sys.stdout.buffer
        try:
            if fmt is OutputFormat.OTLP:
                exports = progress.items(simulate_exports(users, minutes, start_ms, seed), "exports")
                written = write_otlp(exports, sink, events=events)
            else:
                lines = progress.items(simulate_minutes(users, minutes, start_ms, seed))
                written = write_emf(lines, sink) if fmt is OutputFormat.EMF else write_kinesis(lines, sink)
            sink.flush()
        except BrokenPipeError:  # `ccstream generate | head`: the reader has all it wanted
            sys.stderr.close()
            raise typer.Exit(0) from None
    if fmt is OutputFormat.OTLP:
        progress.done(f"{written:,} OTLP requests → {out or 'stdout'}")
    else:
        what = "lines" if fmt is OutputFormat.EMF else "Kinesis records"
        progress.done(f"{written:,} {what} ({progress.count:,} EMF lines) → {out or 'stdout'}")


def _through_collector(
    users: int, minutes: int, start_ms: int, seed: int, fmt: OutputFormat, out: Path | None, now_ms: int, quiet: bool
) -> None:
    """The real collector writes the lines: OTLP → otelcol-ccstream → CloudWatch Logs (embedded emulator) → Kinesis."""
    from consumers.generate.collector_fixtures import CaptureSpec, IncompleteCapture, capture_on_embedded_emulator

    if start_ms < now_ms - CLOUDWATCH_MAX_AGE_MS or start_ms + minutes * MINUTE_MS > now_ms + CLOUDWATCH_MAX_AHEAD_MS:
        raise ConfigError(
            "--via collector writes into CloudWatch Logs, which takes events of the last 14 days up to 2 h ahead: "
            "move --start into that span, or use --via model"
        )
    spec = CaptureSpec("generate", users, minutes, seed, 1.0, minutes_per_send=10, start_at_ms=start_ms)
    started = time.monotonic()
    run = uuid.uuid4().hex[:8]  # the embedded emulator keeps its state for the process: names of this run only
    names = Names(f"generate-{run}", f"/aws/claude-code/metrics-{run}", f"generate-{run}")
    try:
        captured = capture_on_embedded_emulator(spec, names)
    except IncompleteCapture as exc:
        raise ConfigError(f"{exc}; try again (a loaded machine makes awsemf time out)") from exc
    if not captured.otlp:
        raise ConfigError(
            "the simulated developers were idle in this span (their night or weekend): nothing went through the "
            "collector; choose a working-day --start or more --users"
        )
    rows = [line.encode() for line in captured.emf] if fmt is OutputFormat.EMF else captured.kinesis
    with ExitStack() as stack:
        sink: BinaryIO = stack.enter_context(out.open("wb")) if out else sys.stdout.buffer
        for row in rows:
            sink.write(row + b"\n")
        sink.flush()
    if not quiet:
        what = "lines" if fmt is OutputFormat.EMF else "Kinesis records"
        typer.echo(
            f"wrote {len(rows):,} {what} ({len(captured.emf):,} EMF lines written by the collector from "
            f"{len(captured.otlp):,} OTLP requests) → {out or 'stdout'} in {time.monotonic() - started:.1f}s",
            err=True,
        )


class _Progress:
    """Minute-by-minute progress on stderr."""

    def __init__(self, minutes: int, quiet: bool) -> None:
        self.minutes = minutes
        self.quiet = quiet
        self.count = 0
        self._started = time.monotonic()
        self._last_print = 0.0

    def items(self, batches: Iterator[list[T]], what: str = "lines") -> Iterator[T]:
        """Flatten per-minute batches (EMF lines or CLI exports), reporting progress."""
        for minute, batch in enumerate(batches, 1):
            self.count += len(batch)
            now = time.monotonic()
            if not self.quiet and (now - self._last_print >= 1.0 or minute == self.minutes):
                self._last_print = now
                typer.echo(f"  minute {minute}/{self.minutes}: {self.count:,} {what}", err=True)
            yield from batch

    def done(self, text: str) -> None:
        if not self.quiet:
            typer.echo(f"wrote {text} in {time.monotonic() - self._started:.1f}s", err=True)
