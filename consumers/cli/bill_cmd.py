"""`ccstream bill reconcile`: the AWS bill (CUR 2.0 Bedrock line items) against telemetry-priced spend."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import cast

import typer

from consumers.cli.athena_cmd import CacheDirOption, EngineOption, LakeDirOption
from consumers.cli.common import EndpointOption, JsonOption, RegionOption, names, target
from consumers.errors import ConfigError

bill_app = typer.Typer(help="The AWS bill for Claude on Bedrock (CUR 2.0) against telemetry.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add `ccstream bill …` to the app."""
    app.add_typer(bill_app, name="bill")


@bill_app.command("reconcile")
def reconcile(
    month: str = typer.Option(..., "--month", help="Billing month, YYYY-MM (UTC)."),
    cur_table: str | None = typer.Option(
        None, "--cur-table", help="Athena: the CUR 2.0 table (database.table of the Data Exports integration)."
    ),
    cur_dir: Path | None = typer.Option(
        None, "--cur-dir", help="DuckDB: a folder holding the CUR 2.0 export's Parquet files (any depth)."
    ),
    config: Path | None = typer.Option(
        None, "--config", help="Attribution rules (YAML, see bill.example.yaml; default $CCSTREAM_BILL)."
    ),
    cost_column: str = typer.Option(
        "line_item_unblended_cost", "--cost-column", help="line_item_unblended_cost or line_item_net_unblended_cost."
    ),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 when any developer's figures differ."),
    engine: str = EngineOption,
    cache_dir: Path | None = CacheDirOption,
    lake_dir: Path | None = LakeDirOption,
    as_json: bool = JsonOption,
    endpoint_url: str | None = EndpointOption,
    region: str | None = RegionOption,
) -> None:
    """Per developer, team and model: the bill vs telemetry priced with the rate card; spend telemetry never saw,
    telemetry with no matching spend, and spend the bill cannot attribute to anyone."""
    from consumers.athena.duckdb_engine import DuckDbEngine
    from consumers.athena.engine import EngineChoice, open_engine
    from consumers.bill.config import load_attribution
    from consumers.bill.reconcile import reconcile as run_reconcile
    from consumers.bill.sources import attach_cur_folder, bill_lines, telemetry_rows
    from consumers.spend.months import Month
    from schemas.ratecard import load_rate_card

    try:
        the_month = Month.parse(month)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    rules, rules_source = load_attribution(config)
    aws = target(endpoint_url, region)
    eng = open_engine(
        aws,
        names(),
        cast(EngineChoice, engine),
        cache_dir=cache_dir,
        lake_dir=lake_dir,
        progress=lambda m: typer.echo(m, err=True),
    )
    if isinstance(eng, DuckDbEngine):
        if cur_dir is None:
            raise ConfigError("DuckDB needs the CUR export's files: pass --cur-dir FOLDER")
        table = attach_cur_folder(eng, cur_dir)
    else:
        if not cur_table:
            raise ConfigError("Athena needs the CUR 2.0 table: pass --cur-table database.table")
        table = cur_table
    card = load_rate_card()
    lines = bill_lines(eng, table, the_month, rules, cost_column)
    report = run_reconcile(the_month.name, card.provenance(), lines, telemetry_rows(eng, the_month, card), rules)
    findings = report.with_status("mismatch")
    if as_json:
        doc = report.to_json() | {"engine": eng.name, "attribution": rules_source, "cost_column": cost_column}
        typer.echo(json.dumps(doc))
    else:
        _print(report, card.describe(), rules_source)
    if strict and findings:
        sys.exit(1)


def _print(report: object, prices: str, rules_source: str) -> None:
    from rich.console import Console
    from rich.table import Table

    from consumers.bill.reconcile import Report

    assert isinstance(report, Report)
    console = Console()
    users = Table(title=f"bill vs telemetry {report.month}: developers", show_lines=False)
    for col in ("developer", "team", "billed", "telemetry", "difference", "status", "attributed by"):
        users.add_column(col, justify="right" if col in ("billed", "telemetry", "difference") else "left")
    order = {"mismatch": 0, "bill_only": 1, "unpriced": 2, "telemetry_only": 3, "match": 4}
    for u in sorted(report.users, key=lambda u: (order.get(u.status, 9), -abs(u.difference), u.key)):
        users.add_row(
            u.key, u.team, f"{u.billed_usd:,.2f}", f"{u.telemetry_usd:,.2f}", f"{u.difference:+,.2f}", u.status, u.how
        )
    console.print(users)
    for title, rows in (("teams", report.teams), ("models", report.models)):
        t = Table(title=title)
        for col in (title[:-1], "billed", "telemetry", "difference"):
            t.add_column(col, justify="left" if col == title[:-1] else "right")
        for r in rows:
            t.add_row(r.key, f"{r.billed_usd:,.2f}", f"{r.telemetry_usd:,.2f}", f"{r.difference:+,.2f}")
        console.print(t)
    for principal, usd in report.unattributed:
        typer.echo(f"unattributed: {usd:,.2f} USD by {principal}")
    for model, tokens in report.unpriced_tokens.items():
        typer.echo(f"unpriced: {tokens:,.0f} tokens of {model} (no price in the rate card; add it to the overrides)")
    typer.echo(
        f"billed {report.billed_usd:,.2f} USD, telemetry {report.telemetry_usd:,.2f} USD, unattributed "
        f"{report.unattributed_usd:,.2f} USD; telemetry priced with {prices}; attribution from {rules_source}"
    )
