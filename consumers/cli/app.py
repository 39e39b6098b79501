"""The `ccstream` entry point: collects the commands of every `cli/*_cmd.py` module."""

from __future__ import annotations

import importlib
import sys

import typer

from consumers.errors import CcstreamError

#: Command modules, in the order their commands appear in `--help`. Each has `register(app)`.
COMMAND_MODULES = (
    "up_cmd",
    "emulator_cmd",
    "collector_cmd",
    "client_config_cmd",
    "deploy_cmd",
    "package_cmd",
    "generate_cmd",
    "replay_cmd",
    "consume_cmd",
    "query_cmd",
    "rollup_cmd",
    "redrive_cmd",
    "reconcile_cmd",
    "athena_cmd",
    "dashboard_cmd",
    "budgets_cmd",
    "bill_cmd",
    "export_cmd",
    "runaway_cmd",
    "me_cmd",
    "cost_cmd",
    "whois_cmd",
    "forget_cmd",
)

app = typer.Typer(
    name="ccstream",
    help="Claude Code usage, cost and productivity in near real time: CloudWatch Logs → Kinesis → KCL → DynamoDB.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Claude Code telemetry pipeline. Every command honours AWS_ENDPOINT_URL, AWS_REGION and --endpoint-url."""


for _name in COMMAND_MODULES:
    importlib.import_module(f"consumers.cli.{_name}").register(app)


def main() -> None:
    try:
        app()
    except CcstreamError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        sys.exit(2)
