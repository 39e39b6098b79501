"""`ccstream me`: your own Claude Code spend — today, this month, your budget and forecast, by model."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import typer

from consumers.cli.athena_cmd import CacheDirOption, LakeDirOption
from consumers.cli.common import EndpointOption, JsonOption, RegionOption, names, target
from consumers.cli.dashboard_cmd import BudgetsOption
from consumers.errors import ConfigError
from consumers.spend.identity import DEV_USER_ENV
from consumers.windows.definitions import parse_iso

TOKEN_ENV = "CCSTREAM_ID_TOKEN"


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("me")(me)


def me(
    token_file: Path | None = typer.Option(
        None, "--token-file", help=f"A file holding your OIDC ID token (default ${TOKEN_ENV}, the token itself)."
    ),
    budgets_path: Path | None = BudgetsOption,
    by_model: bool = typer.Option(True, "--by-model/--no-by-model", help="Split this month by model (the lake)."),
    as_of: str | None = typer.Option(None, "--as-of", help="As of this ISO time (default: now)."),
    cache_dir: Path | None = CacheDirOption,
    lake_dir: Path | None = LakeDirOption,
    as_json: bool = JsonOption,
    endpoint_url: str | None = EndpointOption,
    region: str | None = RegionOption,
) -> None:
    """Who you are comes from your OIDC ID token (the one your credential helper sends with your telemetry),
    verified as ingestion verifies it; the figures are yours only."""
    from consumers.athena.engine import open_engine
    from consumers.athena.pricing_sql import price_per_token_sql
    from consumers.dashboard.config import load_config
    from consumers.dashboard.data import DashboardData
    from consumers.query.reader import DynamoRowReader
    from consumers.spend.identity import dev_resolver, oidc_resolver
    from consumers.spend.me import lake_by_model, my_figures
    from schemas.ratecard import load_rate_card

    token = token_file.read_text().strip() if token_file else os.environ.get(TOKEN_ENV, "").strip()
    dev_user = os.environ.get(DEV_USER_ENV, "").strip()
    if token:
        identity = oidc_resolver()(f"Bearer {token}")
    elif dev_user:
        identity = dev_resolver(dev_user)(None)
    else:
        raise ConfigError(f"who are you? pass --token-file or set {TOKEN_ENV} to your OIDC ID token")
    aws = target(endpoint_url, region)
    card = load_rate_card()
    provider = None
    if by_model:
        engine = open_engine(aws, names(), "auto", cache_dir=cache_dir, lake_dir=lake_dir)
        provider = lake_by_model(lambda sql: engine.run(sql).records(), price_per_token_sql(card))
    data = DashboardData(DynamoRowReader(aws.client("dynamodb"), names().table))
    now_ms = parse_iso(as_of) if as_of else int(time.time() * 1000)
    figures = my_figures(identity, load_config(budgets_path), data, now_ms, card.provenance(), provider)
    if as_json:
        typer.echo(json.dumps(figures.to_json()))
        return
    typer.echo(f"{figures.user} ({identity.kind}), {figures.month}")
    typer.echo(f"  today          {figures.today_usd:>12,.2f} USD  {figures.today_tokens:>16,.0f} tokens")
    typer.echo(f"  month to date  {figures.month_usd:>12,.2f} USD  {figures.month_tokens:>16,.0f} tokens")
    typer.echo(
        f"  month-end      {figures.projected_usd:>12,.2f} USD  (90% band {figures.projected_low_usd:,.2f}"
        f"–{figures.projected_high_usd:,.2f})"
    )
    for b in figures.budgets:
        runs_out = (
            "not this month"
            if b.exhaustion_ms is None
            else time.strftime("%Y-%m-%d", time.gmtime(b.exhaustion_ms / 1000))
        )
        typer.echo(
            f"  budget ({b.kind}, from {b.source}): {b.spent:,.2f} of {b.limit:,.2f} ({b.share:.0%}), "
            f"runs out {runs_out}"
        )
    for model, usd, tokens in figures.by_model or []:
        typer.echo(f"  {model:<50} {'unpriced' if usd is None else f'{usd:,.2f} USD':>14}  {tokens:,.0f} tokens")
    for note in figures.notes:
        typer.echo(f"  ({note})")
    typer.echo(f"  prices: {card.describe()}")
