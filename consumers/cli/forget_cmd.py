"""`ccstream forget USER [--dry-run]`: erase one person from the aggregates, user-days, lake and dead letters."""

from __future__ import annotations

import json
import os

import typer

from consumers.aws import AwsTarget
from consumers.cli.common import EndpointOption, JsonOption, RegionOption, names, target
from consumers.errors import ConfigError
from consumers.identity.pseudonym import Keyring, is_pseudonym
from consumers.lake.bucket import lake_bucket, s3_client
from consumers.lake.cache import default_cache_dir
from consumers.privacy.forget import ForgetPlaces, forget
from consumers.privacy.forgetlist import DEFAULT_REFRESH_MS
from consumers.privacy.keys import KEYS_ENV, identity_mode, load_keys
from consumers.privacy.targets import forget_targets


def register(app: typer.Typer) -> None:
    app.command("forget")(forget_cmd)


def forget_cmd(
    user: str = typer.Argument(..., help="The person: e-mail, user.id or pseudonym (p-<key>-<hex>)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Find and count everything, change nothing."),
    grace: float = typer.Option(
        2 * DEFAULT_REFRESH_MS / 1000,
        "--grace",
        help="Seconds to wait after adding the person to the forget list, so running writers re-read it.",
    ),
    as_json: bool = JsonOption,
    endpoint_url: str | None = EndpointOption,
    region: str | None = RegionOption,
) -> None:
    """Erase one person: their entries in every per-user aggregate row (their share of active users and
    sessions), their user-days and budget alert marks, their rows in the lake (affected Parquet objects rewritten)
    and the dead letters that mention them. Group totals (team, department, model) stay as they are. Safe while
    consumers run: the person goes on the forget list that every writer honours. Prints what changed."""
    aws = target(endpoint_url, region)
    n = names()
    keys = _keys(aws, user)
    try:
        targets = forget_targets(user, keys)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    s3 = s3_client(aws)
    account = aws.client("sts").get_caller_identity()["Account"]
    lake = lake_bucket(aws, n)
    places = ForgetPlaces(
        client=aws.client("dynamodb"),
        table=n.table,
        s3=s3,
        lake_bucket=lake,
        deadletter_bucket=os.environ.get("CCSTREAM_DEADLETTER_BUCKET") or n.deadletter_bucket(account, aws.region),
        lake_cache=default_cache_dir(lake),
    )
    say = (lambda _m: None) if as_json else (lambda m: typer.echo(m, err=True))
    report = forget(places, targets, dry_run=dry_run, grace_s=grace, progress=say)
    doc = report.as_dict()
    if as_json:
        typer.echo(json.dumps(doc, sort_keys=True))
    else:
        verb = "would remove" if dry_run else "removed"
        t, lk, dl = doc["dynamodb"], doc["lake"], doc["dead_letters"]
        typer.echo(
            f"{verb}: {t['user_entries_removed']} user entries in {t['user_rows_rewritten']} rows "
            f"({t['row_parts_deleted']} old parts), {t['user_days_deleted']} user-days, "
            f"{t['budget_alerts_deleted']} budget alerts; lake {lk['rows_removed']} rows in "
            f"{lk['objects_rewritten']} objects rewritten + {lk['objects_deleted']} deleted over "
            f"{len(lk['partitions'])} partitions; {dl['letters_removed']} dead letters in "
            f"{dl['objects_rewritten'] + dl['objects_deleted']} objects"
        )
        if doc["skipped"]:
            typer.echo("not searched: " + ", ".join(doc["skipped"]))
        if report.lake.archived:
            typer.echo(
                f"{len(report.lake.archived)} lake objects are in Glacier and were not searched: restore them "
                "(aws s3api restore-object) and run forget again",
                err=True,
            )
        elif report.remaining:
            typer.echo(f"{report.remaining} entries came back while forgetting: run forget again", err=True)
    if report.remaining:
        raise typer.Exit(1)


def _keys(aws: AwsTarget, user: str) -> Keyring | None:
    """Identity keys when the deployment has them: required in pseudonymous mode unless USER is a pseudonym."""
    secrets = None if os.environ.get(KEYS_ENV) else aws.client("secretsmanager")
    try:
        return load_keys(secrets, names())
    except ConfigError:
        if identity_mode() == "pseudonymous" and not is_pseudonym(user.strip().lower()):
            raise
        return None
