"""`ccstream client-config`: the managed settings and token helper an admin pushes to developers' machines."""

from __future__ import annotations

import typer

from consumers.identity.client_config import DEFAULT_HELPER_PATH, MANAGED_SETTINGS_PATHS, PROFILES, ClientConfig


def register(app: typer.Typer) -> None:
    app.command("client-config")(client_config)
    app.command("service-account")(service_account)


def service_account(
    name: str = typer.Argument(..., help="Account name (lower-case letters, digits, . _ -); identity service:NAME."),
    groups: str = typer.Option("", "--groups", help="Comma-separated groups the organisation mapping reads."),
) -> None:
    """Mint a service-account token (CI bots): the token on stdout, once; the hash line for the document on stderr.

    Add the line under `service_accounts:` of the collector's document (a file, or the SSM parameter
    /<prefix>/collector/service-accounts); remove it to revoke the token within seconds.
    """
    from consumers.identity.service_accounts import mint

    token, entry = mint(name, tuple(g.strip() for g in groups.split(",") if g.strip()))
    typer.echo(token)
    typer.echo("add to the service-account document (service_accounts:):\n" + entry, err=True, nl=False)


def client_config(
    endpoint: str = typer.Option(..., "--endpoint", help="The collector's HTTPS URL (monitoring stack output)."),
    idp: str = typer.Option("generic", "--idp", help=f"IdP parameter set: {' | '.join(PROFILES)}."),
    issuer: str = typer.Option(..., "--issuer", help="The IdP's issuer URL (its discovery document's `issuer`)."),
    client_id: str = typer.Option(..., "--client-id", help="Public OAuth client allowed the device flow."),
    audience: str = typer.Option("", "--audience", help="The `aud` of the access tokens (not for google)."),
    scope: str = typer.Option("", "--scope", help="Scopes to request (default: the IdP parameter set's)."),
    client_secret: str = typer.Option("", "--client-secret", help="Only for IdPs whose device clients have one."),
    protocol: str = typer.Option("http/protobuf", "--protocol", help="http/protobuf | http/json | grpc."),
    helper_path: str = typer.Option(DEFAULT_HELPER_PATH, "--helper-path", help="Where the helper is installed."),
    output: str = typer.Option("", "--output", "-o", help="Write the three files into this folder."),
    show_helper: bool = typer.Option(False, "--helper", help="Print the helper script instead of the settings."),
) -> None:
    """Print Claude Code's managed settings (telemetry on, OTLP to the collector, delta temporality, otelHeadersHelper).

    With --output DIR, also write the token helper (ccstream-otel-token) and collector.env (the collector's side).
    """
    from pathlib import Path

    from consumers.identity.client_config import render

    cfg = ClientConfig(
        endpoint=endpoint,
        idp=idp,
        issuer=issuer,
        client_id=client_id,
        audience=audience,
        scope=scope,
        client_secret=client_secret,
        protocol=protocol,
        helper_path=helper_path,
    )
    files = render(cfg)
    if output:
        folder = Path(output)
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            (folder / name).write_text(content)
        (folder / "ccstream-otel-token").chmod(0o755)
        typer.echo(f"wrote {', '.join(files)} to {folder}")
    else:
        typer.echo(files["ccstream-otel-token" if show_helper else "managed-settings.json"], nl=False)
    paths = ", ".join(f"{k}: {v}" for k, v in MANAGED_SETTINGS_PATHS.items())
    typer.echo(f"install managed-settings.json at {paths}; the helper at {helper_path} (mode 755)", err=True)
    typer.echo("collector side (--auth oidc):\n" + files["collector.env"], err=True, nl=False)
