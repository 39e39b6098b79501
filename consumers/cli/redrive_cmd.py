"""`ccstream redrive`: feed dead letters back through the pipeline after a fix, exactly once."""

from __future__ import annotations

import json

import typer

from consumers.cli.common import EndpointOption, JsonOption, RegionOption, names, target
from consumers.redrive import redrive
from consumers.windows.definitions import parse_iso


def register(app: typer.Typer) -> None:
    app.command("redrive")(redrive_cmd)


def redrive_cmd(
    reason: str | None = typer.Option(None, "--reason", help="Only dead letters with this reason."),
    from_: str | None = typer.Option(None, "--from", help="ISO time: letters written at or after it."),
    to: str | None = typer.Option(None, "--to", help="ISO time: letters written before it."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Report what would be redriven; put nothing."),
    bucket: str | None = typer.Option(None, "--bucket", help="Dead-letter bucket; default: the stack's."),
    as_json: bool = JsonOption,
    endpoint_url: str | None = EndpointOption,
    region: str | None = RegionOption,
) -> None:
    """Put dead letters back on the stream as records the consumer reads like any other. Each letter goes back
    once: a marker in the bucket says it was redriven, and a repeated record is a duplicate for the consumer.
    Letters whose line partly counted, whose payload was truncated, or that were late are reported, not sent."""
    aws = target(endpoint_url, region)
    n = names()
    if bucket is None:
        account = aws.client("sts").get_caller_identity()["Account"]
        bucket = n.deadletter_bucket(account, aws.region)
    report = redrive(
        aws.client("s3"),
        aws.client("kinesis"),
        bucket,
        n.stream,
        reason=reason,
        from_ms=parse_iso(from_) if from_ else None,
        to_ms=parse_iso(to) if to else None,
        dry_run=dry_run,
    )
    if as_json:
        typer.echo(json.dumps(report.to_dict(), sort_keys=True))
        return
    verb = "would redrive" if dry_run else "redrove"
    typer.echo(f"{report.found} dead letters matched; {verb} {report.redriven}; {report.already} already redriven")
    for r, count in sorted(report.by_reason.items()):
        typer.echo(f"  {verb} {count} × {r}")
    for why, count in sorted(report.skipped.items()):
        typer.echo(f"  skipped {count}: {why}")
