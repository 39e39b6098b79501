"""`ccstream dashboard` (the local web dashboard) and `ccstream budgets` (check budgets once, alert on crossings)."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from consumers.cli.common import EndpointOption, JsonOption, RegionOption, names, target
from consumers.config import Names
from consumers.dashboard.alerts import ALERT_TOPIC_ENV, DynamoAlertLedger, check_budgets, notifier_from_env
from consumers.dashboard.config import BUDGETS_PATH_ENV, load_config
from consumers.dashboard.data import DashboardData
from consumers.dashboard.server import DEFAULT_PORT, DashboardServer
from consumers.errors import ConfigError
from consumers.query.reader import DynamoRowReader

BudgetsOption = typer.Option(
    None,
    "--budgets",
    envvar=BUDGETS_PATH_ENV,
    help="Budgets and model quotas (YAML, see budgets.example.yaml).",
    show_default=False,
)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("dashboard")(dashboard)
    app.command("budgets")(budgets)


def _check_table(client: object, table: str, where: str) -> None:
    try:
        client.describe_table(TableName=table)  # type: ignore[attr-defined]
    except Exception as exc:
        raise ConfigError(
            f"cannot read table {table} at {where}: {exc}. Start the pipeline first (`ccstream up`, or "
            "`ccstream deploy` against an emulator), or point --endpoint-url / CCSTREAM_TABLE at it."
        ) from None


def dashboard(
    port: int = typer.Option(DEFAULT_PORT, "--port", "-p", help="Port to serve on (127.0.0.1)."),
    budgets_path: Path | None = BudgetsOption,
    endpoint_url: str | None = EndpointOption,
    region: str | None = RegionOption,
) -> None:
    """Serve the twenty dashboard widgets on http://127.0.0.1:PORT from DynamoDB, with a time-range picker and
    auto-refresh. Budgets (if configured) are checked every minute; crossings are logged (or sent to SNS when
    CCSTREAM_ALERT_TOPIC_ARN is set). Ctrl-C stops."""
    aws = target(endpoint_url, region)
    deployment: Names = names()
    _check_table(aws.client("dynamodb"), deployment.table, aws.endpoint_url or f"AWS {aws.region}")
    server = DashboardServer(aws, deployment, port, budgets_path=budgets_path)
    url = server.start()
    config = server.config
    typer.echo(f"dashboard: {url}  (table {deployment.table} at {aws.endpoint_url or 'AWS ' + aws.region})")
    if config.has_budgets:
        typer.echo(f"budgets: {config.source}, checked every minute")
    typer.echo("Ctrl-C to stop")
    stop = threading.Event()
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        typer.echo("stopping")
    finally:
        server.stop()


def budgets(
    budgets_path: Path | None = BudgetsOption,
    as_json: bool = JsonOption,
    endpoint_url: str | None = EndpointOption,
    region: str | None = RegionOption,
) -> None:
    """Check this month's budgets once: print spend, burn rate and projected exhaustion, and alert (once per
    threshold per month) on every threshold crossed."""
    config = load_config(budgets_path)
    if not config.has_budgets:
        raise ConfigError(
            f"no budgets configured: pass --budgets FILE or set {BUDGETS_PATH_ENV} (copy budgets.example.yaml)"
        )
    aws = target(endpoint_url, region)
    table = names().table
    client = aws.client("dynamodb")
    _check_table(client, table, aws.endpoint_url or f"AWS {aws.region}")
    now_ms = int(time.time() * 1000)
    result = check_budgets(
        config,
        DashboardData(DynamoRowReader(client, table)),
        DynamoAlertLedger(client, table),
        notifier_from_env(lambda: aws.client("sns")),
        now_ms,
    )
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "month": result.month,
                    "budgets": [
                        {
                            "scope": s.scope,
                            "name": s.name,
                            "kind": s.kind,
                            "limit": s.limit,
                            "spent": s.spent,
                            "share": s.share,
                            "burn_per_day": s.burn_per_day,
                            "exhaustion_ms": s.exhaustion_ms,
                        }
                        for s in result.statuses
                    ],
                    "alerts_sent": [{"key": a.status.key, "threshold": a.threshold} for a in result.sent],
                }
            )
        )
        return
    view = Table(title=f"budgets {result.month} (month to date)")
    for col in ("budget", "kind", "spent", "limit", "used", "burn/day"):
        view.add_column(col, justify="left" if col in ("budget", "kind") else "right")
    for s in sorted(result.statuses, key=lambda s: -s.share):
        view.add_row(
            f"{s.scope}: {s.name}",
            s.kind,
            f"{s.spent:,.2f}",
            f"{s.limit:,.2f}",
            f"{s.share * 100:.1f}%",
            f"{s.burn_per_day:,.2f}",
        )
    Console().print(view)
    where = "to SNS" if os.environ.get(ALERT_TOPIC_ENV) else f"to the log (set {ALERT_TOPIC_ENV} for SNS)"
    typer.echo(f"{len(result.sent)} new alert(s) sent {where}")
