"""`ccstream dashboard`: the local web dashboard (`ccstream budgets` is `budgets_cmd.py`)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import typer

from consumers.athena.engine import open_engine
from consumers.athena.pricing_sql import price_per_token_sql
from consumers.aws import AwsTarget
from consumers.cli.common import EndpointOption, RegionOption, names, target
from consumers.config import Names
from consumers.dashboard.config import BUDGETS_PATH_ENV
from consumers.dashboard.server import DEFAULT_PORT, DashboardServer
from consumers.errors import ConfigError
from consumers.spend.identity import DEV_USER_ENV, dev_resolver
from consumers.spend.me import ByModel, lake_by_model
from consumers.spend.months import Month

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


def check_table(client: object, table: str, where: str) -> None:
    try:
        client.describe_table(TableName=table)  # type: ignore[attr-defined]
    except Exception as exc:
        raise ConfigError(
            f"cannot read table {table} at {where}: {exc}. Start the pipeline first (`ccstream up`, or "
            "`ccstream deploy` against an emulator), or point --endpoint-url / CCSTREAM_TABLE at it."
        ) from None


def lake_me_by_model(aws: AwsTarget, deployment: Names) -> ByModel:
    """The /me page's by-model rows from the lake (mirrored afresh per request on an emulator; Athena on AWS)."""

    def rows(user: str, month: Month) -> list[tuple[str, float | None, float]]:
        engine = open_engine(aws, deployment, "auto")
        return lake_by_model(lambda sql: engine.run(sql).records(), price_per_token_sql())(user, month)

    return rows


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
    check_table(aws.client("dynamodb"), deployment.table, aws.endpoint_url or f"AWS {aws.region}")
    dev_user = os.environ.get(DEV_USER_ENV, "").strip()
    server = DashboardServer(
        aws,
        deployment,
        port,
        budgets_path=budgets_path,
        me_resolver=dev_resolver(dev_user) if dev_user else None,
        me_by_model=lake_me_by_model(aws, deployment),
    )
    url = server.start()
    if dev_user:
        typer.echo(f"/me shows {dev_user} to every request (${DEV_USER_ENV}: for a dashboard on your own machine only)")
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
