"""Options shared by every command, so `--endpoint-url` and `--region` mean the same everywhere."""

from __future__ import annotations

import typer

from consumers.aws import AwsTarget
from consumers.config import Names

EndpointOption = typer.Option(
    None,
    "--endpoint-url",
    envvar="AWS_ENDPOINT_URL",
    help="AWS endpoint (moto, LocalStack). Unset = real AWS.",
    show_default=False,
)
RegionOption = typer.Option(
    None, "--region", help="AWS region (default: $AWS_REGION, $AWS_DEFAULT_REGION or us-east-1).", show_default=False
)
JsonOption = typer.Option(False, "--json", help="Print machine-readable JSON instead of a table.")


def target(endpoint_url: str | None, region: str | None) -> AwsTarget:
    return AwsTarget.from_env(endpoint_url, region)


def names() -> Names:
    return Names.from_env()
