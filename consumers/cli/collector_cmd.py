"""`ccstream collector`: the project's OTel collector in the foreground, against the current endpoint."""

from __future__ import annotations

import os
import signal
import subprocess

import typer

from consumers.cli.common import EndpointOption, RegionOption, target

AUTH_WARNING = (
    "WARNING: --auth none accepts telemetry from anyone who can reach the port, and trusts the identity and team "
    "each client claims. It is for local use only; a deployed collector runs with --auth oidc."
)
BEARER_WARNING = (
    "WARNING: --auth bearer checks one shared token and trusts the identity each client claims: use it only behind "
    "a gateway that sets identities itself; --auth oidc binds identity to each caller's token."
)


def register(app: typer.Typer) -> None:
    app.command("collector")(collector)


def collector(
    port: int = typer.Option(4318, "--port", "-p", help="OTLP/HTTP port on 127.0.0.1."),
    grpc_port: int = typer.Option(4317, "--grpc-port", help="OTLP/gRPC port on 127.0.0.1."),
    auth: str = typer.Option(
        "none",
        "--auth",
        help="none (local only) | bearer (token in CCSTREAM_BEARER_TOKEN) | oidc (identity from tokens).",
    ),
    issuer: str | None = typer.Option(None, "--issuer", help="OIDC issuer (default CCSTREAM_OIDC_ISSUER)."),
    audience: str | None = typer.Option(None, "--audience", help="Token audience (default CCSTREAM_OIDC_AUDIENCE)."),
    jwks_url: str | None = typer.Option(None, "--jwks-url", help="JWKS URL (default: the issuer's discovery)."),
    service_accounts: str | None = typer.Option(
        None, "--service-accounts", help="Service-account hash file or ssm:/name (CCSTREAM_SERVICE_ACCOUNTS)."
    ),
    org_mapping: str | None = typer.Option(
        None, "--org-mapping", help="IdP group → organisation mapping file or ssm:/name (CCSTREAM_ORG_MAPPING)."
    ),
    identity_mode: str | None = typer.Option(
        None, "--identity-mode", help="plain | pseudonymous (CCSTREAM_IDENTITY_MODE; keys in CCSTREAM_IDENTITY_KEYS)."
    ),
    task_id: str = typer.Option("local", "--task-id", help="Names the log streams (otel-stream-<id>, events-<id>)."),
    metrics_log_group: str = typer.Option("/aws/claude-code/metrics", "--metrics-log-group"),
    events_log_group: str = typer.Option("/aws/claude-code/events", "--events-log-group"),
    tap: str = typer.Option("", "--tap", help="Also write every request received, as OTLP JSON lines, to this file."),
    tls: bool = typer.Option(
        False,
        "--tls",
        help="Serve OTLP and the health check over TLS with a certificate generated at start (as on ECS).",
    ),
    endpoint_url: str | None = EndpointOption,
    region: str | None = RegionOption,
) -> None:
    """Run the collector (built by `make collector`) with collector/config.yaml until Ctrl-C.

    Point Claude Code at it with OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:PORT and
    OTEL_EXPORTER_OTLP_PROTOCOL=http/json (or http/protobuf).
    """
    from dataclasses import replace
    from pathlib import Path

    from consumers.collector.auth_settings import IdentitySettings
    from consumers.collector.pipelines import describe_pipelines
    from consumers.collector.process import collector_command, free_port
    from consumers.collector.settings import CollectorSettings

    aws = target(endpoint_url, region)
    flags = {
        "issuer": issuer,
        "audience": audience,
        "jwks_url": jwks_url,
        "service_accounts": service_accounts,
        "org_mapping": org_mapping,
        "mode": identity_mode,
    }
    identity = replace(IdentitySettings.from_environ(os.environ), **{k: v for k, v in flags.items() if v is not None})
    settings = CollectorSettings(
        region=aws.region,
        endpoint_url=aws.endpoint_url,
        http_port=port,
        grpc_port=grpc_port,
        health_port=free_port(),
        telemetry_port=free_port(),
        task_id=task_id,
        metrics_log_group=metrics_log_group,
        events_log_group=events_log_group,
        file_tap=Path(tap) if tap else None,
        auth=auth,
        bearer_token=os.environ.get("CCSTREAM_BEARER_TOKEN"),
        identity=identity,
        tls=tls,
    )
    argv, env = collector_command(settings)
    if auth in ("none", "bearer"):
        typer.secho(AUTH_WARNING if auth == "none" else BEARER_WARNING, fg=typer.colors.RED, bold=True, err=True)
    scheme = "https" if tls else "http"
    typer.echo(f"collector: OTLP/HTTP {scheme}://127.0.0.1:{port}  OTLP/gRPC 127.0.0.1:{grpc_port}  auth={auth}")
    if auth == "oidc":
        typer.echo(
            f"collector: tokens of {identity.issuer or '(no issuer)'} for audience {identity.audience or '-'}; "
            f"service accounts {identity.service_accounts or 'none'}; identity mode {identity.mode}"
        )
    typer.echo(f"collector: AWS endpoint {aws.endpoint_url or 'real AWS'} ({aws.region})")
    for line in describe_pipelines(env):
        typer.echo(f"pipeline {line}")
    process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL)
    try:
        process.wait()
    except KeyboardInterrupt:
        process.send_signal(signal.SIGTERM)
        process.wait()
        typer.echo("collector stopped")
    if process.returncode not in (0, -signal.SIGTERM):
        raise typer.Exit(process.returncode)
