"""`ccstream cost`: project the monthly AWS bill per component for N users (no AWS calls)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from consumers.cli.common import EndpointOption, JsonOption, RegionOption, target
from consumers.cost.assumptions import Assumptions
from consumers.cost.measured import load_measured
from consumers.cost.model import CostReport, project
from consumers.cost.prices import load_aws_prices
from consumers.errors import ConfigError

_DEFAULTS = Assumptions()


def register(app: typer.Typer) -> None:
    app.command(
        "cost",
        help="Project the monthly AWS bill per component for N users, from measured bytes and writes per data point "
        "(consumers/cost/measured.json) and the dated us-east-1 price table (schemas/aws_prices.json).",
    )(cost)


def cost(
    users: int = typer.Option(..., "--users", "-u", help="Number of Claude Code users."),
    shards: int | None = typer.Option(None, "--shards", help="Kinesis shards (default: 2, or more if needed)."),
    rollup_every_min: int = typer.Option(
        _DEFAULTS.rollup_every_min, "--rollup-every-min", help="Minutes between user-day rollups."
    ),
    dashboard_loads: int = typer.Option(
        _DEFAULTS.dashboard_loads_per_day, "--dashboard-loads-per-day", help="Dashboard loads (or refreshes) per day."
    ),
    athena_queries: int = typer.Option(
        _DEFAULTS.athena_queries_per_day, "--athena-queries-per-day", help="Ad-hoc Athena queries per day."
    ),
    lake: bool = typer.Option(True, "--lake/--no-lake", help="Include the Firehose → Parquet → Athena lake."),
    transform_lambda: bool = typer.Option(
        False,
        "--transform-lambda/--no-transform-lambda",
        help="Firehose with the transform Lambda and dynamic partitioning (analytics.yaml TransformLambdaArn set).",
    ),
    networking: bool = typer.Option(
        True, "--networking/--no-networking", help="Include the NAT gateway and interface endpoints."
    ),
    measured: Path | None = typer.Option(None, "--measured", help="Measured figures (default: the shipped file)."),
    prices: Path | None = typer.Option(None, "--prices", help="Price table (default: schemas/aws_prices.json)."),
    as_json: bool = JsonOption,
    endpoint_url: str | None = EndpointOption,
    region: str | None = RegionOption,
) -> None:
    """Print the projected monthly bill per component and which component dominates."""
    if users <= 0:
        raise ConfigError("--users must be a positive number of people, e.g. --users 10000")
    if rollup_every_min <= 0:
        raise ConfigError("--rollup-every-min must be at least 1")
    aws = target(endpoint_url, region)
    price_table = load_aws_prices(prices)
    assume = Assumptions(
        shards=shards,
        rollup_every_min=rollup_every_min,
        dashboard_loads_per_day=dashboard_loads,
        athena_queries_per_day=athena_queries,
        lake=lake,
        firehose_transform_lambda=transform_lambda,
        networking=networking,
    )
    report = project(users, load_measured(measured), price_table, assume)
    notes = []
    if aws.region != price_table.region:
        notes.append(f"prices are {price_table.region} list prices; {aws.region} may differ")
    if price_table.unsure():
        notes.append(f"unconfirmed prices: {', '.join(price_table.unsure())}")
    if as_json:
        typer.echo(json.dumps({**report.to_json(), "notes": notes}, indent=2))
        return
    _print(report, notes)


def _quantity(value: float, unit: str) -> str:
    for threshold, scale, suffix in ((1e9, 1e9, " bn"), (1e6, 1e6, " M"), (1e4, 1e3, " k")):
        if value >= threshold:
            return f"{value / scale:,.1f}{suffix} {unit}"
    return f"{value:,.1f} {unit}"


def _print(report: CostReport, notes: list[str]) -> None:
    console = Console()
    if not console.is_terminal:
        console = Console(width=120)
    table = Table(
        title=f"Projected AWS bill for {report.users:,} users (us-east-1 list prices of {report.prices_date}, "
        f"figures measured {report.measured_on})"
    )
    for col in ("component", "item", "quantity", "USD/month", "#"):
        table.add_column(col, justify="left" if col in ("component", "item") else "right", no_wrap=True)
    footnotes = []
    for line in report.lines:
        mark = ""
        if line.note:
            footnotes.append(line.note)
            mark = str(len(footnotes))
        table.add_row(line.component, line.item, _quantity(line.quantity, line.unit), f"{line.usd:,.2f}", mark)
    table.add_row("total", "", _quantity(report.points_per_month, "data points"), f"{report.total:,.2f}", "")
    console.print(table)
    for i, text in enumerate(footnotes, 1):
        console.print(f"  [dim]{i}. {text}[/]")
    for name, usd in report.by_component().items():
        console.print(f"  {name:<28} ${usd:>10,.2f}  {100 * usd / report.total:5.1f}%")
    console.print(report.seed_comparison(), soft_wrap=True)
    for note in notes:
        console.print(f"[yellow]note:[/] {note}")
