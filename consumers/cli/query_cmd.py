"""`ccstream query`: read the windowed aggregates from DynamoDB."""

from __future__ import annotations

import json
import time

import typer
from rich.console import Console
from rich.table import Table

from consumers.cli.common import EndpointOption, JsonOption, RegionOption, names, target
from consumers.errors import UnsupportedQuery
from consumers.query.api import COST_PAIR, QueryRow, cost_mismatches, query_metric, supported_help
from consumers.query.events import is_event_query, query_events
from consumers.query.events import supported_help as events_help
from consumers.query.events_reconcile import RECONCILE_NAME, CostCheck, cost_reconciliation
from consumers.query.reader import DynamoRowReader
from consumers.rollup import user_history
from consumers.windows.definitions import WINDOW_SIZES, iso, parse_iso

DEFAULT_WINDOWS_BACK = 60


def register(app: typer.Typer) -> None:
    app.command("query", help=f"Read windowed aggregates from DynamoDB. {supported_help()} {events_help()}")(query)


def query(
    metric: str = typer.Argument(
        ...,
        help="claude_code.token.usage, …, ccstream.token_cost.usd, active_users, sessions, events.<event>[.<field>]",
    ),
    window: str = typer.Option("1h", "--window", "-w", help="Window size: 1m, 1h or 1d."),
    by: list[str] = typer.Option([], "--by", "-b", help="Group by attribute (repeat for several)."),
    from_: str | None = typer.Option(None, "--from", help="ISO start (default: 60 windows before --to)."),
    to: str | None = typer.Option(None, "--to", help="ISO end, exclusive (default: now)."),
    user: str | None = typer.Option(
        None, "--user", help="One user's daily history (email or user.id) from the UserActivityIndex; --window 1d."
    ),
    stat: str | None = typer.Option(
        None, "--stat", help="events.* only: sum, count, mean, success_rate, p50, p90, p95, p99.", show_default=False
    ),
    total: bool = typer.Option(False, "--total", help="events.* only: one row for the whole range (merged sketches)."),
    as_json: bool = JsonOption,
    endpoint_url: str | None = EndpointOption,
    region: str | None = RegionOption,
) -> None:
    """Print one metric per window (merging every shard's partial rows), optionally grouped."""
    if window not in WINDOW_SIZES:
        raise UnsupportedQuery(f"unknown window {window!r}. Supported {supported_help()}")
    to_ms = parse_iso(to) if to else int(time.time() * 1000)
    from_ms = parse_iso(from_) if from_ else to_ms - DEFAULT_WINDOWS_BACK * WINDOW_SIZES[window].duration_ms
    aws = target(endpoint_url, region)
    reader = DynamoRowReader(aws.client("dynamodb"), names().table)
    if metric == RECONCILE_NAME:
        _print_reconciliation(cost_reconciliation(reader, window, from_ms, to_ms), window, as_json)
        return
    if is_event_query(metric):
        if user is not None:
            raise UnsupportedQuery("events.* take --by user instead of --user")
        rows = query_events(reader, metric, window, tuple(by), from_ms, to_ms, stat, total)
    elif stat is not None or total:
        raise UnsupportedQuery("--stat and --total apply to events.* names only")
    elif user is not None:
        if window != "1d" or by:
            raise UnsupportedQuery("--user reads the daily user items: use --window 1d and no --by")
        history = user_history(aws.client("dynamodb"), names().table, user, from_ms, to_ms)
        rows = [QueryRow(day, {"user": user}, sums[metric]) for day, sums in history if metric in sums]
    else:
        rows = query_metric(reader, metric, window, tuple(by), from_ms, to_ms)
    err = Console(stderr=True)
    if metric in COST_PAIR:
        for m in cost_mismatches(reader, window, tuple(by), from_ms, to_ms):
            err.print(
                f"[yellow]cost mismatch[/] {iso(m.window_start_ms)} {m.labels or ''}: Claude Code reported "
                f"${m.reported_usd:.4f}, token usage × list price = ${m.priced_usd:.4f} (×{m.ratio:.2f})"
            )
    if as_json:
        typer.echo(json.dumps([r.to_json() for r in rows], indent=None))
        return
    table = Table(title=f"{metric} per {window}  [{iso(from_ms)} → {iso(to_ms)})")
    label_cols = list(dict.fromkeys(k for r in rows for k in r.labels))
    for col in ["window_start", *label_cols, "value"]:
        table.add_column(col, justify="right" if col == "value" else "left")
    for r in rows:
        value = f"≈ {r.value:,.6g}" if r.approximate else f"{r.value:,.6g}"
        table.add_row(iso(r.window_start_ms), *(r.labels.get(c, "") for c in label_cols), value)
    Console().print(table)
    approximate = sum(1 for r in rows if r.approximate)
    if approximate:
        err.print(
            f"≈ approximate: {approximate} of {len(rows)} windows hold a user with more sessions than "
            "CCSTREAM_MAX_SESSIONS_PER_USER; that user's sessions are counted by an HLL sketch (≈ 1.6 % error)"
        )
    if not rows:
        err.print("no rows in this range (is the consumer running? try a wider --from/--to)")


def _print_reconciliation(checks: list[CostCheck], window: str, as_json: bool) -> None:
    """Cost per window from events, from `cost.usage` and from priced tokens; differences on stderr."""
    err = Console(stderr=True)
    for c in checks:
        if c.events_vs_metrics:
            err.print(
                f"[red]events vs metrics[/] {iso(c.window_start_ms)}: events ${c.events_usd:.6f}, "
                f"cost.usage ${c.metrics_usd:.6f} (one signal lost or doubled data)"
            )
        elif c.events_vs_priced:
            err.print(
                f"[yellow]events vs priced tokens[/] {iso(c.window_start_ms)}: events ${c.events_usd:.4f}, "
                f"list price ${c.priced_usd:.4f}"
            )
    if as_json:
        typer.echo(json.dumps([{"window_start": iso(c.window_start_ms), **c.to_json()} for c in checks]))
        return
    table = Table(title=f"cost per {window}: events vs cost.usage vs priced tokens")
    for col in ("window_start", "events_usd", "metrics_usd", "priced_usd", "flag"):
        table.add_column(col, justify="left" if col in ("window_start", "flag") else "right")
    for c in checks:
        flag = "events≠metrics" if c.events_vs_metrics else ("≠priced" if c.events_vs_priced else "")
        table.add_row(
            iso(c.window_start_ms), f"{c.events_usd:.6f}", f"{c.metrics_usd:.6f}", f"{c.priced_usd:.6f}", flag
        )
    Console().print(table)
