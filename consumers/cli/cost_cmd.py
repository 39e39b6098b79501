"""`ccstream cost`: project the monthly AWS bill per component for N users (no AWS calls)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from consumers.cli.common import EndpointOption, JsonOption, RegionOption, target
from consumers.cost.assumptions import Assumptions
from consumers.cost.knobs import PROFILES, TARGET_USD, Alternative, KnobEffect, knob_table, otlp_to_cloudwatch, seed_gap
from consumers.cost.measured import Measured, load_measured
from consumers.cost.model import CostReport, project
from consumers.cost.prices import AwsPrices, load_aws_prices
from consumers.errors import ConfigError

_DEFAULTS = Assumptions()


def register(app: typer.Typer) -> None:
    app.command(
        "cost",
        help="Project the monthly AWS bill per component for N users, from measured bytes and writes per data point "
        "(consumers/cost/measured.json) and the dated us-east-1 price table (schemas/aws_prices.json).",
    )(cost)


def cost(
    users: int = typer.Option(..., "--users", "-u", help="Number of Claude Code users."),
    profile: str = typer.Option(
        "shipped",
        "--profile",
        help="shipped: the templates' defaults; lean: every setting that saves money and keeps every feature "
        "(README 'The product's own bill'). The options below override the profile.",
    ),
    shards: int | None = typer.Option(None, "--shards", help="Kinesis shards (default: 2, or more if needed)."),
    stream_mode: str | None = typer.Option(None, "--stream-mode", help="provisioned or on-demand."),
    trim: bool | None = typer.Option(
        None, "--trim/--no-trim", help="The collector's transform/trim block (unread attributes).", show_default=False
    ),
    metric_extraction: bool | None = typer.Option(
        None, "--metric-extraction/--no-metric-extraction", help="awsemf metric declarations.", show_default=False
    ),
    consumer_metrics: bool | None = typer.Option(
        None, "--consumer-metrics/--no-consumer-metrics", help="The consumer's per-minute metrics.", show_default=False
    ),
    log_class: str | None = typer.Option(None, "--log-class", help="standard (infrequent-access is refused: why)."),
    log_retention_days: int | None = typer.Option(None, "--log-retention-days", help="Raw EMF log retention."),
    network: str | None = typer.Option(None, "--network", help="endpoints (template default) or nat."),
    consumer_vcpu: float | None = typer.Option(None, "--consumer-vcpu", help="Consumer task vCPU."),
    consumer_gb: float | None = typer.Option(None, "--consumer-gb", help="Consumer task memory, GB."),
    collector_vcpu: float | None = typer.Option(None, "--collector-vcpu", help="Collector task vCPU."),
    collector_gb: float | None = typer.Option(None, "--collector-gb", help="Collector task memory, GB."),
    rollup_every_min: int | None = typer.Option(None, "--rollup-every-min", help="Minutes between user-day rollups."),
    events: bool | None = typer.Option(
        None, "--events/--no-events", help="Claude Code events (OTel logs) and their pipeline.", show_default=False
    ),
    events_trim: bool | None = typer.Option(
        None, "--events-trim/--no-events-trim", help="The collector's transform/events_trim.", show_default=False
    ),
    events_per_minute: float | None = typer.Option(
        None, "--events-per-active-minute", help="Events per developer-minute in a conversation (measured mix: 8.5)."
    ),
    active_minutes: float | None = typer.Option(
        None, "--active-minutes-per-user-month", help="Minutes in a conversation per developer-month (measured)."
    ),
    events_retention: int | None = typer.Option(None, "--events-log-retention-days", help="Events log retention."),
    dashboard_loads: int = typer.Option(
        _DEFAULTS.dashboard_loads_per_day, "--dashboard-loads-per-day", help="Dashboard loads (or refreshes) per day."
    ),
    athena_queries: int = typer.Option(
        _DEFAULTS.athena_queries_per_day, "--athena-queries-per-day", help="Ad-hoc Athena queries per day."
    ),
    lake: bool = typer.Option(True, "--lake/--no-lake", help="Include the Firehose → Parquet → Athena lake."),
    transform_lambda: bool = typer.Option(
        False,
        "--transform-lambda/--no-transform-lambda",
        help="Firehose with the transform Lambda and dynamic partitioning (analytics.yaml TransformLambdaArn set).",
    ),
    networking: bool = typer.Option(
        True, "--networking/--no-networking", help="Include the VPC endpoints or NAT gateways."
    ),
    knobs: bool = typer.Option(False, "--knobs", help="Also print what each setting saves and gives up."),
    compare: bool = typer.Option(
        False, "--compare", help="Also compare with the seed's ~$100 and with OTLP straight into CloudWatch."
    ),
    measured: Path | None = typer.Option(None, "--measured", help="Measured figures (default: the shipped file)."),
    prices: Path | None = typer.Option(None, "--prices", help="Price table (default: schemas/aws_prices.json)."),
    as_json: bool = JsonOption,
    endpoint_url: str | None = EndpointOption,
    region: str | None = RegionOption,
) -> None:
    """Print the projected monthly bill per component and which component dominates."""
    if users <= 0:
        raise ConfigError("--users must be a positive number of people, e.g. --users 10000")
    if profile not in PROFILES:
        raise ConfigError(f"--profile must be one of {', '.join(PROFILES)}")
    overrides = {
        "shards": shards,
        "stream_mode": _choice("--stream-mode", stream_mode, ("provisioned", "on-demand")),
        "trim_attributes": trim,
        "metric_extraction": metric_extraction,
        "consumer_metrics": consumer_metrics,
        "log_class": _choice("--log-class", log_class, ("standard", "infrequent-access")),
        "log_retention_days": log_retention_days,
        "network_mode": _choice("--network", network, ("endpoints", "nat")),
        "consumer_vcpu": consumer_vcpu,
        "consumer_gb": consumer_gb,
        "collector_vcpu": collector_vcpu,
        "collector_gb": collector_gb,
        "rollup_every_min": rollup_every_min,
        "events": events,
        "events_trim": events_trim,
        "events_per_active_minute": events_per_minute,
        "active_minutes_per_user_month": active_minutes,
        "events_log_retention_days": events_retention,
    }
    if any(v is not None and v < 0 for v in (events_per_minute, active_minutes)):
        raise ConfigError("--events-per-active-minute and --active-minutes-per-user-month cannot be negative")
    if rollup_every_min is not None and rollup_every_min <= 0:
        raise ConfigError("--rollup-every-min must be at least 1")
    aws = target(endpoint_url, region)
    price_table = load_aws_prices(prices)
    figures = load_measured(measured)
    assume = replace(
        PROFILES[profile],
        dashboard_loads_per_day=dashboard_loads,
        athena_queries_per_day=athena_queries,
        lake=lake,
        firehose_transform_lambda=transform_lambda,
        networking=networking,
        **{k: v for k, v in overrides.items() if v is not None},  # type: ignore[arg-type]
    )
    report = project(users, figures, price_table, assume)
    notes = []
    if aws.region != price_table.region:
        notes.append(f"prices are {price_table.region} list prices; {aws.region} may differ")
    if price_table.unsure():
        notes.append(f"unconfirmed prices: {', '.join(price_table.unsure())}")
    effects = knob_table(users, figures, price_table, assume) if knobs or as_json else []
    alternatives = [otlp_to_cloudwatch(users, figures, price_table, central, assume) for central in (False, True)]
    if as_json:
        doc = {**report.to_json(), "profile": profile, "notes": notes}
        doc["target_usd_per_month"] = TARGET_USD if users == 10_000 else None
        doc["knobs"] = [_knob_json(e) for e in effects]
        doc["alternatives"] = [
            {"name": x.name, "usd_per_month": round(x.usd, 2), "lines": x.lines, "gives_up": x.gives_up}
            for x in alternatives
        ]
        doc["seed_gap"] = seed_gap(report)
        typer.echo(json.dumps(doc, indent=2))
        return
    _print(report, notes)
    if knobs:
        _print_knobs(effects)
    if compare:
        _print_compare(report, alternatives, price_table, figures, users)


def _choice(option: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    if value is not None and value not in allowed:
        raise ConfigError(f"{option} must be one of {', '.join(allowed)}")
    return value


def _knob_json(effect: KnobEffect) -> dict[str, object]:
    k = effect.knob
    return {
        "knob": k.name,
        "setting": k.setting,
        "applied": effect.applied,
        "saves_usd_per_month": round(effect.saves, 2),
        "keeps_every_feature": k.keeps_features,
        "trade_off": k.trade_off,
    }


def _quantity(value: float, unit: str) -> str:
    for threshold, scale, suffix in ((1e9, 1e9, " bn"), (1e6, 1e6, " M"), (1e4, 1e3, " k")):
        if value >= threshold:
            return f"{value / scale:,.1f}{suffix} {unit}"
    return f"{value:,.1f} {unit}"


def _print(report: CostReport, notes: list[str]) -> None:
    console = Console()
    if not console.is_terminal:
        console = Console(width=120)
    table = Table(
        title=f"Projected AWS bill for {report.users:,} users (us-east-1 list prices of {report.prices_date}, "
        f"figures measured {report.measured_on})"
    )
    for col in ("component", "item", "quantity", "USD/month", "#"):
        table.add_column(col, justify="left" if col in ("component", "item") else "right", no_wrap=True)
    footnotes = []
    for line in report.lines:
        mark = ""
        if line.note:
            footnotes.append(line.note)
            mark = str(len(footnotes))
        table.add_row(line.component, line.item, _quantity(line.quantity, line.unit), f"{line.usd:,.2f}", mark)
    table.add_row("total", "", _quantity(report.points_per_month, "data points"), f"{report.total:,.2f}", "")
    console.print(table)
    for i, text in enumerate(footnotes, 1):
        console.print(f"  [dim]{i}. {text}[/]")
    for name, usd in report.by_component().items():
        console.print(f"  {name:<28} ${usd:>10,.2f}  {100 * usd / report.total:5.1f}%")
    console.print(report.seed_comparison(), soft_wrap=True)
    for note in notes:
        console.print(f"[yellow]note:[/] {note}")


def _print_knobs(effects: list[KnobEffect]) -> None:
    table = Table(title="What each setting saves (USD/month, against the bill above)")
    for col in ("setting", "how", "saves", "every feature kept", "trade-off"):
        table.add_column(col, justify="right" if col == "saves" else "left")
    for e in effects:
        name = e.knob.name + (" (applied)" if e.applied else "")
        keeps = "yes" if e.knob.keeps_features else "no"
        table.add_row(name, e.knob.setting, f"{e.saves:,.2f}", keeps, e.knob.trade_off)
    Console(width=200).print(table)


def _print_compare(
    report: CostReport, alternatives: list[Alternative], prices: AwsPrices, figures: Measured, users: int
) -> None:
    console = Console(width=120)
    console.print(f"seed: {seed_gap(report)}.", soft_wrap=True)
    if users == 10_000:
        met = "meets" if report.total <= TARGET_USD else "does NOT meet"
        console.print(f"target at 10,000 developers: ${TARGET_USD:,.0f}/month; ${report.total:,.0f} {met} it.")
    per_gb = prices.usd("cloudwatch.otel_metrics_ingest_per_gb")
    points = report.points_per_month
    otlp_gb = points * figures.otlp_bytes_per_point / (1024**3)
    for alt in alternatives:
        parts = ", ".join(f"{k} ${v:,.0f}" for k, v in alt.lines.items())
        console.print(f"{alt.name}: ${alt.usd:,.0f}/month ({parts})")
    sidecar = alternatives[0]
    break_even = (report.total - (sidecar.usd - otlp_gb * per_gb)) / otlp_gb if otlp_gb else 0.0
    console.print(
        f"  {otlp_gb:,.0f} GB of OTLP points a month ({figures.otlp_bytes_per_point:,.0f} B each) at an assumed "
        f"${per_gb:.2f}/GB; the sidecar path costs what this bill does at ${break_even:.2f}/GB. It gives up: "
        f"{sidecar.gives_up}.",
        soft_wrap=True,
    )
