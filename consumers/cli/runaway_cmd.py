"""`ccstream runaway`: check for runaway spend once, or keep checking (`--watch`), alerting once per episode."""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path

import typer

from consumers.cli.common import EndpointOption, JsonOption, RegionOption, names, target
from consumers.cli.dashboard_cmd import BudgetsOption, check_table
from consumers.errors import ConfigError


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("runaway")(runaway)


def runaway(
    budgets_path: Path | None = BudgetsOption,
    watch: float = typer.Option(0.0, "--watch", help="Check every SECONDS until Ctrl-C (0: once)."),
    as_of: str | None = typer.Option(None, "--as-of", help="Check as of this ISO time (default: now)."),
    as_json: bool = JsonOption,
    endpoint_url: str | None = EndpointOption,
    region: str | None = RegionOption,
) -> None:
    """Developers and teams whose spend or tokens per minute are over their usual peak for the hour (settings:
    the `runaway` section of the budgets file); one alert per episode (SNS with CCSTREAM_ALERT_TOPIC_ARN, else
    the log)."""
    from consumers.dashboard.config import load_config
    from consumers.dashboard.data import DashboardData
    from consumers.query.reader import DynamoRowReader
    from consumers.spend.runaway_check import BaselineCache, DynamoEpisodeLedger, check_runaway, sender_from_env

    settings = load_config(budgets_path).runaway
    aws = target(endpoint_url, region)
    table = names().table
    client = aws.client("dynamodb")
    check_table(client, table, aws.endpoint_url or f"AWS {aws.region}")
    fixed_ms = None
    if as_of:
        try:
            fixed_ms = int(datetime.fromisoformat(as_of.replace("Z", "+00:00")).timestamp() * 1000)
        except ValueError:
            raise ConfigError(f"--as-of {as_of!r} is not an ISO time") from None
    cache, ledger = BaselineCache(), DynamoEpisodeLedger(client, table)
    send = sender_from_env(lambda: aws.client("sns"))
    try:
        while True:
            now_ms = fixed_ms if fixed_ms is not None else int(time.time() * 1000)
            out = check_runaway(DashboardData(DynamoRowReader(client, table)), cache, ledger, send, now_ms, settings)
            if as_json:
                doc = {
                    "now_ms": now_ms,
                    "over": [
                        {
                            "key": s.key,
                            "metric": s.metric,
                            "rate_per_minute": s.rate_per_minute,
                            "threshold": s.threshold,
                        }
                        for s in out.spikes
                    ],
                    "alerts_sent": [a.spike.key for a in out.sent],
                }
                typer.echo(json.dumps(doc))
            else:
                for s in out.spikes:
                    typer.echo(
                        f"over: {s.scope} {s.subject} {s.rate_per_minute:,.2f} {s.metric}/min > {s.threshold:,.2f}"
                    )
                typer.echo(f"{len(out.spikes)} over threshold, {len(out.sent)} new alert(s)")
            if watch <= 0:
                return
            time.sleep(watch)
    except KeyboardInterrupt:
        typer.echo("stopped", err=True)
