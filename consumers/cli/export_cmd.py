"""`ccstream export`: spend per user, team, cost center or model for finance (CSV or Parquet)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import typer

from consumers.cli.common import EndpointOption, RegionOption, names, target
from consumers.errors import ConfigError


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("export")(export)


def _day_ms(text: str, option: str) -> int:
    try:
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise ConfigError(f"{option} {text!r} is not a day (YYYY-MM-DD)") from None
    return int(day.timestamp() * 1000)


def export(
    from_day: str = typer.Option(..., "--from", help="First day, YYYY-MM-DD (UTC), included."),
    to_day: str = typer.Option(..., "--to", help="Day after the last, YYYY-MM-DD (UTC), excluded."),
    by: str = typer.Option(..., "--by", help="user, team, cost_center or model."),
    fmt: str = typer.Option("csv", "--format", help="csv or parquet."),
    out: Path | None = typer.Option(None, "--out", help="File to write (default: stdout for csv)."),
    endpoint_url: str | None = EndpointOption,
    region: str | None = RegionOption,
) -> None:
    """Sums per group over whole days, from the daily aggregates: USD at the rate card (rounded to the cent, equal
    to the sum of `ccstream query ccstream.token_cost.usd --window 1d --by ...`), Claude Code's own estimate,
    tokens, unpriced tokens, and the rate card that priced them."""
    from consumers.query.reader import DynamoRowReader
    from consumers.spend.export import encode, export_rows
    from schemas.ratecard import load_rate_card

    from_ms, to_ms = _day_ms(from_day, "--from"), _day_ms(to_day, "--to")
    aws = target(endpoint_url, region)
    reader = DynamoRowReader(aws.client("dynamodb"), names().table)
    rows = export_rows(reader, by, from_ms, to_ms, load_rate_card().card_id)
    data = encode(rows, fmt)
    if out is not None:
        out.write_bytes(data)
        total = sum(r.cost_usd for r in rows)
        typer.echo(f"{len(rows)} rows by {by}, {total:,.2f} USD, {from_day} … {to_day} (excl.) → {out}", err=True)
    elif fmt == "csv":
        sys.stdout.write(data.decode())
    else:
        raise ConfigError("Parquet goes to a file: pass --out FILE")
