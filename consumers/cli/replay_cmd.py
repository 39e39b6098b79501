"""`ccstream replay`: send fixture files into a deployment (the embedded emulator, LocalStack or AWS)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from consumers.cli.common import EndpointOption, JsonOption, RegionOption, names, target
from consumers.replay import ReplaySummary, replay_paths


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("replay")(replay)


def replay(
    paths: list[Path] = typer.Argument(
        ...,
        help="Files to send, recognised by content: raw EMF lines (via CloudWatch Logs) and/or captured Kinesis "
        "records (into Kinesis): one record per line, `aws kinesis get-records` output, or a Lambda Kinesis event.",
        show_default=False,
    ),
    endpoint_url: str | None = EndpointOption,
    region: str | None = RegionOption,
    log_group: str | None = typer.Option(
        None, "--log-group", help="Log group for EMF lines (default: /aws/claude-code/metrics).", show_default=False
    ),
    stream: str | None = typer.Option(
        None, "--stream", help="Kinesis stream for captured records (default: <prefix>-metrics).", show_default=False
    ),
    log_stream: str | None = typer.Option(
        None,
        "--log-stream",
        help="Put every EMF line into this log stream (default: the collector stream of its session.id).",
        show_default=False,
    ),
    shift_to_now: bool = typer.Option(
        False,
        "--shift-to-now",
        help="Move all EMF events (and their _aws.Timestamp) by one offset so the newest is now; needed for "
        "captures older than 14 days, which CloudWatch Logs rejects.",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Replay captured telemetry the way production data arrives.

    Each file's kind comes from its content (the name only breaks a tie, e.g. *.emf.ndjson for broken lines).
    EMF lines go through PutLogEvents into the log group, so the subscription filter delivers them to Kinesis;
    log event time = the line's _aws.Timestamp. Captured Kinesis records ({"Data", "PartitionKey"} per line,
    `aws kinesis get-records` output, or a Lambda event's Records[].kinesis) are sent with PutRecords, data bytes
    and partition key unchanged; sequence numbers and arrival times are not needed. EMF files are sent before
    Kinesis files. Progress goes to stderr.
    """
    summary = replay_paths(
        target(endpoint_url, region),
        names(),
        paths,
        log_group=log_group,
        stream=stream,
        log_stream=log_stream,
        shift_to_now=shift_to_now,
        progress=lambda text: typer.echo(text, err=True),
    )
    for warning in summary.warnings:
        typer.secho(f"warning: {warning}", fg=typer.colors.YELLOW, err=True)
    typer.echo(json.dumps(summary.to_dict(), indent=2) if as_json else render(summary))


def render(summary: ReplaySummary) -> str:
    """A short human summary."""
    lines = []
    if summary.log_events_sent or any(f.format == "emf" for f in summary.files):
        shifted = f", shifted by {summary.shifted_by_ms / 3_600_000:+.2f} h" if summary.shifted_by_ms else ""
        lines.append(
            f"CloudWatch Logs {summary.log_group}: {summary.log_events_sent:,} events sent into "
            f"{len(summary.log_streams)} streams in {summary.put_log_events_calls:,} calls "
            f"({summary.log_events_rejected:,} rejected){shifted}"
        )
    if summary.kinesis_records_sent or any(f.format == "kinesis" for f in summary.files):
        lines.append(
            f"Kinesis {summary.kinesis_stream}: {summary.kinesis_records_sent:,} records sent in "
            f"{summary.put_records_calls:,} calls ({summary.kinesis_retried_entries:,} retried entries)"
        )
    return "\n".join(lines) or "nothing to send"
