"""`ccstream dashboard`: the local web dashboard (`ccstream budgets` is `budgets_cmd.py`)."""

from __future__ import annotations

import threading
from pathlib import Path

import typer

from consumers.cli.common import EndpointOption, RegionOption, names, target
from consumers.config import Names
from consumers.dashboard.config import BUDGETS_PATH_ENV
from consumers.dashboard.server import DEFAULT_PORT, DashboardServer
from consumers.errors import ConfigError

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
