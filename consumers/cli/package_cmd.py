"""`ccstream package`: build (and optionally upload) the zip the dashboard and lake Lambdas run from."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from consumers.cli.common import EndpointOption, JsonOption, RegionOption, target
from consumers.deploy.lambda_package import (
    LAMBDA_PLATFORM,
    LAMBDA_RUNTIME,
    build_lambda_package,
    upload_lambda_package,
)
from consumers.errors import ConfigError

#: Stacks whose Lambdas run from the package: the dashboard's widget and scheduled functions, the lake transform.
PACKAGED_STACKS = ("analytics", "dashboard")


def register(app: typer.Typer) -> None:
    app.command("package")(package)


def _bucket_and_prefix(url: str) -> tuple[str, str]:
    if not url.startswith("s3://") or len(url) <= len("s3://"):
        raise ConfigError(f"--upload takes s3://<bucket>[/<prefix>], not {url!r}")
    bucket, _, prefix = url[len("s3://") :].partition("/")
    return bucket, prefix


def package(
    out: Path = typer.Option(Path("dist"), "--out", help="Folder the zip is written to."),
    upload: str | None = typer.Option(
        None, "--upload", help="s3://<bucket>[/<prefix>]: upload the zip there (skipped when already present)."
    ),
    python_version: str = typer.Option(
        LAMBDA_RUNTIME.removeprefix("python"), "--python", help="Python version of the Lambda runtime."
    ),
    platform: str = typer.Option(LAMBDA_PLATFORM, "--platform", help="pip platform tag of the Lambda runtime."),
    kms_key: str = typer.Option(
        "", "--kms-key", help="Encrypt the uploaded zip with this KMS key (keys stack output ArtifactsKeyArn)."
    ),
    as_json: bool = JsonOption,
    endpoint_url: str | None = EndpointOption,
    region: str | None = RegionOption,
) -> None:
    """Build the Lambda package (consumers/, schemas/, msgspec, pygal, PyYAML for the Lambda runtime; boto3 comes
    with it) as dist/ccstream-lambda-<sha256>.zip, and with --upload put it on S3 and print the `ccstream deploy`
    parameters that make the dashboard stack run it (instead of placeholder widgets) and the analytics stack create
    the lake's transform Lambda (event-time partitions)."""
    destination = _bucket_and_prefix(upload) if upload else None
    if not as_json:
        typer.echo(f"installing the Lambda dependencies for Python {python_version} on {platform} …", err=True)
    pkg = build_lambda_package(out, python_version, platform)
    result: dict[str, object] = {
        "path": str(pkg.path),
        "sha256": pkg.sha256,
        "size_bytes": pkg.size_bytes,
        "files": pkg.files,
    }
    if destination:
        bucket, prefix = destination
        s3 = target(endpoint_url, region).client("s3")
        key, uploaded = upload_lambda_package(s3, bucket, pkg, prefix, kms_key)
        result |= {"bucket": bucket, "key": key, "uploaded": uploaded}
        result["deploy_parameters"] = [
            f"{stack}.{p}" for stack in PACKAGED_STACKS for p in (f"CodeBucket={bucket}", f"CodeKey={key}")
        ]
    if as_json:
        typer.echo(json.dumps(result))
        return
    typer.echo(f"built {pkg.path} ({pkg.size_bytes / 1e6:.1f} MB, {pkg.files} files, sha256 {pkg.sha256[:16]}…)")
    if destination:
        state = "uploaded" if result["uploaded"] else "already there, not uploaded again"
        typer.echo(f"s3://{result['bucket']}/{result['key']}: {state}")
        params = " ".join(f"-p {p}" for p in result["deploy_parameters"])  # type: ignore[attr-defined]
        typer.echo(f"deploy with: ccstream deploy … {params}")
        typer.echo(
            "(the analytics ones make Firehose partition the lake by event time; on an existing deployment without "
            "them, delete the <prefix>-lake delivery stream first: see infra/README.md)"
        )
    else:
        typer.echo("upload it with --upload s3://<bucket>[/<prefix>] to get the `ccstream deploy` parameters")
