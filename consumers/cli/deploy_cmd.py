"""`ccstream deploy`: the CloudFormation stacks in `infra/`, in dependency order (emulator gaps filled)."""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING

import typer

from consumers.cli.common import EndpointOption, JsonOption, RegionOption, names, target
from consumers.errors import ConfigError

if TYPE_CHECKING:
    from consumers.deploy import DeployResult


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("deploy")(deploy)


def _parse_overrides(items: list[str]) -> dict[str, dict[str, str]]:
    overrides: dict[str, dict[str, str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        stack, dot, parameter = key.partition(".")
        if not sep or not dot or not stack or not parameter:
            raise ConfigError(f"--parameter {item!r}: expected STACK.Parameter=value, e.g. streaming.ShardCount=4")
        overrides.setdefault(stack, {})[parameter] = value
    return overrides


def deploy(
    stacks: str = typer.Option(
        "networking,monitoring,streaming,analytics,dashboard",
        "--stacks",
        help="Comma-separated stacks to deploy; they always run in dependency order.",
    ),
    prefix: str = typer.Option(
        None,
        "--prefix",
        envvar="CCSTREAM_PREFIX",
        help="Resource name prefix (default claude-code).",
        show_default=False,
    ),
    log_group: str = typer.Option(
        None,
        "--log-group",
        envvar="CCSTREAM_LOG_GROUP",
        help="Log group of the collector's EMF lines (default /aws/claude-code/metrics).",
        show_default=False,
    ),
    shards: int = typer.Option(None, "--shards", min=1, help="Kinesis shard count (default 2, or as deployed)."),
    shards_per_task: int = typer.Option(
        2, "--shards-per-task", min=1, help="Consumer tasks at rest = ceil(shards / this); scaling adds up to 1/shard."
    ),
    consumer_image: str = typer.Option(
        None, "--consumer-image", help="Consumer image URI; without it no ECS consumer service is created."
    ),
    certificate_arn: str = typer.Option(
        None, "--certificate-arn", help="ACM certificate of the collector's HTTPS listener (required on AWS)."
    ),
    alarm_email: str = typer.Option(None, "--alarm-email", help="E-mail address subscribed to the alarm topic."),
    identity_mode: str = typer.Option(
        None, "--identity-mode", help="plain or pseudonymous (README Privacy; default plain, or as deployed)."
    ),
    customer_keys: bool = typer.Option(
        False, "--customer-keys", help="Also deploy infra/keys.yaml first: customer managed KMS keys for every store."
    ),
    parameter: list[str] = typer.Option(
        [], "--parameter", "-p", help="Extra template parameter, STACK.Name=value (repeatable)."
    ),
    endpoint_url: str = EndpointOption,
    region: str = RegionOption,
    as_json: bool = JsonOption,
) -> None:
    """Create or update the CloudFormation stacks and print their outputs.

    On AWS each stack goes through a change set ("no changes" is fine). With --endpoint-url (moto, LocalStack)
    the same templates are deployed and whatever the emulator's CloudFormation skips is created through the
    service APIs. Running it twice changes nothing.
    """
    from consumers.deploy import DeployOptions
    from consumers.deploy import deploy as run_deploy

    deploy_names = names()
    if prefix:
        deploy_names = dataclasses.replace(deploy_names, prefix=prefix)
    if log_group:
        deploy_names = dataclasses.replace(deploy_names, log_group=log_group)
    options = DeployOptions(
        shard_count=shards,
        shards_per_task=shards_per_task,
        consumer_image=consumer_image,
        certificate_arn=certificate_arn,
        alarm_email=alarm_email,
        identity_mode=identity_mode,
        parameters=_parse_overrides(parameter),
    )
    result = run_deploy(
        target(endpoint_url, region),
        deploy_names,
        (["keys"] if customer_keys else []) + stacks.split(","),
        options=options,
        progress=lambda line: typer.echo(line, err=True),
    )
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2))
        return
    _print_summary(result)


def _print_summary(result: DeployResult) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"ccstream deploy — account {result.account}, {result.region}")
    for column in ("stack", "action", "filled by API", "outputs"):
        table.add_column(column)
    for stack in result.stacks:
        outputs = "\n".join(f"{k} = {v}" for k, v in sorted(stack.outputs.items()))
        table.add_row(stack.stack_name, str(stack.action), str(len(stack.filled)), outputs)
    console.print(table)
    for label, value in result.links().items():
        console.print(f"{label.replace('_', ' ')}: {value}")
    console.print("nothing changed" if not result.changed else "done")
