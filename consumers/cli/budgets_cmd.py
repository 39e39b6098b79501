"""`ccstream budgets`: this month's budgets once — spend, month-end forecast and band, run-out — and alerts."""

from __future__ import annotations

import json
import os
import time
from datetime import datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from consumers.aggregates.partials import WindowPartial
from consumers.cli.common import EndpointOption, JsonOption, RegionOption, names, target
from consumers.cli.dashboard_cmd import BudgetsOption, check_table
from consumers.dashboard.alerts import ALERT_TOPIC_ENV, DynamoAlertLedger, check_budgets, notifier_from_env
from consumers.dashboard.config import BUDGETS_PATH_ENV, load_config
from consumers.dashboard.data import DashboardData
from consumers.errors import ConfigError
from consumers.query.reader import DynamoRowReader
from consumers.spend.months import Month, iso_day
from consumers.spend.provenance import check_prices
from consumers.spend.status import StatusStore
from consumers.windows.definitions import iso
from schemas.ratecard import load_rate_card


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("budgets")(budgets)


def _when(ms: int | None) -> str:
    return "not this month" if ms is None else iso_day(ms)


def budgets(
    budgets_path: Path | None = BudgetsOption,
    as_of: str | None = typer.Option(None, "--as-of", help="Evaluate as of this ISO time (default: now)."),
    as_json: bool = JsonOption,
    endpoint_url: str | None = EndpointOption,
    region: str | None = RegionOption,
) -> None:
    """Check the month's budgets (org, teams, groups, users) once: spend, month-end forecast with a 90% band,
    the date each budget runs out at the expected rate; alert once per threshold per month."""
    config = load_config(budgets_path)
    if not config.has_budgets:
        raise ConfigError(
            f"no budgets configured: pass --budgets FILE or set {BUDGETS_PATH_ENV} (copy budgets.example.yaml)"
        )
    aws = target(endpoint_url, region)
    table = names().table
    client = aws.client("dynamodb")
    check_table(client, table, aws.endpoint_url or f"AWS {aws.region}")
    now_ms = int(time.time() * 1000)
    if as_of:
        try:
            now_ms = int(datetime.fromisoformat(as_of.replace("Z", "+00:00")).timestamp() * 1000)
        except ValueError:
            raise ConfigError(f"--as-of {as_of!r} is not an ISO time") from None
    data = DashboardData(DynamoRowReader(client, table))
    result = check_budgets(
        config,
        data,
        DynamoAlertLedger(client, table),
        notifier_from_env(lambda: aws.client("sns")),
        now_ms,
    )
    stored = StatusStore(client, table).save(result.statuses, Month.parse(result.month), now_ms)
    card = load_rate_card()
    month = Month.parse(result.month)
    merged = WindowPartial()
    for w in data.windows("1d", month.start_ms, month.end_ms).values():
        merged.merge(w)
    prices = check_prices(merged, card)
    if as_json:
        doc = {
            "month": result.month,
            "as_of": iso(now_ms),
            "cost": config.cost_metric,
            "prices": card.provenance() | {"check": prices.to_json()},
            "budgets": [s.to_json() for s in result.statuses],
            "alerts_sent": [{"key": a.status.key, "threshold": a.threshold} for a in result.sent],
            "statuses_written": stored,
        }
        typer.echo(json.dumps(doc))
        return
    view = Table(title=f"budgets {result.month} as of {iso(now_ms)}")
    for col in ("budget", "kind", "spent", "limit", "used", "expected/day", "month-end (90% band)", "runs out"):
        view.add_column(col, justify="left" if col in ("budget", "kind", "runs out") else "right")
    for s in sorted(result.statuses, key=lambda s: -s.share):
        view.add_row(
            f"{s.scope}: {s.name}" + (f" ({s.source})" if s.source and s.source != "user" else ""),
            s.kind,
            f"{s.spent:,.2f}",
            f"{s.limit:,.2f}",
            f"{s.share * 100:.1f}%",
            f"{s.burn_per_day:,.2f}",
            f"{s.projected_month_total:,.2f} ({s.projected_low:,.2f}–{s.projected_high:,.2f})",
            _when(s.exhaustion_ms),
        )
    Console().print(view)
    typer.echo(f"cost = {config.cost_metric}, priced with {card.describe()}")
    if not prices.matches:
        typer.echo(
            f"note: this month's stored cost ({prices.stored_usd:,.2f} USD) was not all priced with these prices "
            f"(re-priced: {prices.repriced_usd:,.2f} USD); the consumers ran with other overrides for part of it"
        )
    where = "to SNS" if os.environ.get(ALERT_TOPIC_ENV) else f"to the log (set {ALERT_TOPIC_ENV} for SNS)"
    typer.echo(f"{len(result.sent)} new alert(s) sent {where}")
