"""`ccstream whois`: the only way to resolve a pseudonym (needs the identity keys: IAM permission to read the
secret `<prefix>/identity-keys`, or `CCSTREAM_IDENTITY_KEYS`)."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import typer

from consumers.cli.common import EndpointOption, JsonOption, RegionOption, names, target
from consumers.errors import ConfigError
from consumers.privacy.keys import KEYS_ENV, load_keys
from consumers.privacy.whois import pseudonyms_of, read_candidates, resolve


def register(app: typer.Typer) -> None:
    app.command("whois")(whois)


def whois(
    pseudonym: str | None = typer.Argument(None, help="A pseudonym p-<key id>-<32 hex> to resolve."),
    candidates: str | None = typer.Option(
        None, "--candidates", help="IdP directory export: one identity per line, or a .csv (every cell); - = stdin."
    ),
    identity: str | None = typer.Option(None, "--identity", help="Print the pseudonym(s) of this e-mail or user.id."),
    month: str | None = typer.Option(None, "--month", help="With --identity: only the key in force that month."),
    as_json: bool = JsonOption,
    endpoint_url: str | None = EndpointOption,
    region: str | None = RegionOption,
) -> None:
    """Resolve a pseudonym over candidate identities (`whois PSEUDONYM --candidates FILE`), or print an identity's
    pseudonym per key (`whois --identity EMAIL_OR_ID [--month YYYY-MM]`). Exit 1 when no candidate matches."""
    if (pseudonym is None) == (identity is None):
        raise ConfigError("give either a PSEUDONYM (with --candidates) or --identity EMAIL_OR_ID")
    if month is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise ConfigError(f"--month {month!r}: expected YYYY-MM")
    keys = load_keys(_secrets_client(endpoint_url, region), names())
    if identity is not None:
        rows = pseudonyms_of(identity, keys, month)
        if as_json:
            typer.echo(json.dumps([{"key": r.key_id, "from": r.from_month, "pseudonym": r.pseudonym} for r in rows]))
        else:
            for r in rows:
                typer.echo(f"{r.pseudonym}  (key {r.key_id}, from {r.from_month})")
        if not rows:
            raise typer.Exit(1)
        return
    assert pseudonym is not None
    if candidates is None:
        raise ConfigError("a pseudonym cannot be reversed: give --candidates FILE (the IdP directory export)")
    text = sys.stdin.read() if candidates == "-" else Path(candidates).read_text(encoding="utf-8")
    try:
        matches = resolve(pseudonym, keys, read_candidates(text, candidates.lower().endswith(".csv")))
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    if as_json:
        typer.echo(json.dumps({"pseudonym": pseudonym, "identities": matches}))
    elif matches:
        typer.echo("\n".join(matches))
    else:
        typer.echo(f"no candidate has pseudonym {pseudonym}", err=True)
    if not matches:
        raise typer.Exit(1)


def _secrets_client(endpoint_url: str | None, region: str | None) -> object | None:
    if os.environ.get(KEYS_ENV):
        return None
    return target(endpoint_url, region).client("secretsmanager")
