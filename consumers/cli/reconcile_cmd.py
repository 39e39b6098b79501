"""`ccstream reconcile`: compare DynamoDB aggregates with the lake's totals per metric and window."""

from __future__ import annotations

import json
import time

import typer
from rich.console import Console
from rich.table import Table

from consumers.cli.common import EndpointOption, JsonOption, RegionOption, names, target
from consumers.query.reader import DynamoRowReader
from consumers.reconcile import compare, dynamodb_totals
from consumers.windows.definitions import WINDOW_SIZES, iso, parse_iso


def register(app: typer.Typer) -> None:
    app.command("reconcile")(reconcile)


def reconcile(
    from_: str | None = typer.Option(None, "--from", help="ISO start (default: 24 h before --to)."),
    to: str | None = typer.Option(None, "--to", help="ISO end, exclusive (default: now)."),
    window: str = typer.Option("1h", "--window", "-w", help="Window size to compare: 1m, 1h or 1d."),
    as_json: bool = JsonOption,
    endpoint_url: str | None = EndpointOption,
    region: str | None = RegionOption,
) -> None:
    """Print every (metric, window) where DynamoDB and the lake disagree; exit 1 if any do."""
    from consumers.athena.totals import lake_totals

    if window not in WINDOW_SIZES:
        raise typer.BadParameter(f"--window must be one of {', '.join(WINDOW_SIZES)}")
    to_ms = parse_iso(to) if to else int(time.time() * 1000)
    from_ms = parse_iso(from_) if from_ else to_ms - 86_400_000
    aws = target(endpoint_url, region)
    ddb = dynamodb_totals(DynamoRowReader(aws.client("dynamodb"), names().table), window, from_ms, to_ms)
    lake = lake_totals(aws, names(), window, from_ms, to_ms)
    result = compare(ddb, lake)
    if as_json:
        typer.echo(json.dumps({"compared": result.compared, "differences": [d.to_json() for d in result.differences]}))
    else:
        console = Console()
        console.print(f"compared {result.compared} (metric, {window} window) totals in [{iso(from_ms)}, {iso(to_ms)})")
        if result.ok:
            console.print("[green]no differences[/]")
        else:
            table = Table("window_start", "metric", "dynamodb", "lake", "delta")
            for d in result.differences:
                j = d.to_json()
                table.add_row(str(j["window_start"]), d.metric, str(d.dynamodb), str(d.lake), f"{j['delta']:+.6g}")
            console.print(table)
    raise typer.Exit(0 if result.ok else 1)
