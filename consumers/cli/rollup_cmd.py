"""`ccstream rollup`: (re)write the per-user day items read through the UserActivityIndex."""

from __future__ import annotations

import time

import typer

from consumers.cli.common import EndpointOption, JsonOption, RegionOption, names, target
from consumers.query.reader import DynamoRowReader
from consumers.rollup import DAY_MS, rollup_user_days
from consumers.windows.definitions import iso, parse_iso


def register(app: typer.Typer) -> None:
    app.command("rollup")(rollup)


def rollup(
    from_: str | None = typer.Option(None, "--from", help="ISO date/time; default: yesterday 00:00 UTC."),
    to: str | None = typer.Option(None, "--to", help="ISO end, exclusive; default: now."),
    as_json: bool = JsonOption,
    endpoint_url: str | None = EndpointOption,
    region: str | None = RegionOption,
) -> None:
    """Merge every shard's per-user daily partials into one item per (user, day); only new or changed ones are
    written. Idempotent; run it as often as you like (infra/streaming.yaml schedules it every 5 minutes with the
    consumer image; `ccstream up` runs it every minute)."""
    to_ms = parse_iso(to) if to else int(time.time() * 1000)
    from_ms = parse_iso(from_) if from_ else to_ms - to_ms % DAY_MS - DAY_MS
    aws = target(endpoint_url, region)
    client = aws.client("dynamodb")
    result = rollup_user_days(DynamoRowReader(client, names().table), client, names().table, from_ms, to_ms)
    if as_json:
        typer.echo(f'{{"days": {result.days}, "user_days": {result.user_days}, "written": {result.written}}}')
    else:
        typer.echo(
            f"rolled up {result.user_days} user-days over {result.days} day(s) from {iso(from_ms)} "
            f"({result.written} new or changed, written)"
        )
