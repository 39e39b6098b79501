"""Claude Code events in the bill: collector → `/aws/claude-code/events` → its own Kinesis stream → the events KCL
app (E rows in DynamoDB, the lake's events table). One component, `Events`, so the bill reads with and without them.

Volume = users × active minutes per user-month × events per active minute (`Assumptions`, defaulting to the measured
simulator minutes and the measured event mix); bytes, records and writes per event are measured
(`measured.json` `events`, `python -m benchmarks.events_bill`). The events app runs inside the consumer task
(`ccstream consume --app everything`), so it adds no task: at the month's busiest minute it needs a few % of a core.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from consumers.cost.assumptions import Assumptions
from consumers.cost.measured import HOW_TO_MEASURE_EVENTS, EventFigures, Measured
from consumers.cost.prices import AwsPrices
from consumers.errors import ConfigError

if TYPE_CHECKING:
    from consumers.cost.model import CostReport  # model.py calls add_events

COMPONENT = "Events"
GB = 1024**3
MB = 1024**2
DAYS_PER_MONTH = 730 / 24
#: PutLogEvents counts 26 bytes per log event (as for the EMF lines, `model.LOG_EVENT_OVERHEAD_BYTES`).
LOG_EVENT_OVERHEAD_BYTES = 26


def event_figures(measured: Measured) -> EventFigures:
    if measured.events is None:
        raise ConfigError(f"measured.json has no events figures (or pass --no-events): {HOW_TO_MEASURE_EVENTS}")
    return measured.events


def events_per_month(users: int, measured: Measured, a: Assumptions) -> float:
    ev = event_figures(measured)
    return users * active_minutes(ev, a) * per_active_minute(ev, a)


def active_minutes(ev: EventFigures, a: Assumptions) -> float:
    return (
        ev.active_minutes_per_user_month if a.active_minutes_per_user_month is None else a.active_minutes_per_user_month
    )


def per_active_minute(ev: EventFigures, a: Assumptions) -> float:
    return sum(ev.mix.values()) if a.events_per_active_minute is None else a.events_per_active_minute


def line_bytes(ev: EventFigures, a: Assumptions) -> tuple[float, float]:
    """(exporter line bytes, gzip'd Kinesis bytes) per event under the collector's events trim setting."""
    if a.events_trim:
        return ev.line_bytes, ev.kinesis_bytes
    return ev.untrimmed_line_bytes, ev.untrimmed_kinesis_bytes


def add_events(report: CostReport, measured: Measured, prices: AwsPrices, a: Assumptions, users: int) -> None:
    """Add the `Events` lines to `report`."""
    ev = event_figures(measured)
    p, hours = prices.usd, prices.hours_per_month
    n = events_per_month(users, measured, a)
    line, kinesis = line_bytes(ev, a)
    rate = f"{active_minutes(ev, a):,.0f} active min × {per_active_minute(ev, a):g} events per developer-month"
    ingest_gb = n * (line + LOG_EVENT_OVERHEAD_BYTES) / GB
    report.add(
        COMPONENT,
        "CloudWatch Logs ingestion",
        ingest_gb,
        "GB",
        ingest_gb * p("cloudwatch_logs.ingest_per_gb"),
        f"{n / 1e6:,.0f} M events ({rate}); {line:,.0f} B a line (events trim {'on' if a.events_trim else 'off'})",
    )
    stored_gb = n * kinesis / GB * a.events_log_retention_days / DAYS_PER_MONTH
    report.add(
        COMPONENT,
        "CloudWatch Logs storage",
        stored_gb,
        "GB-month",
        stored_gb * p("cloudwatch_logs.storage_per_gb_month"),
        f"{a.events_log_retention_days} days, gzip size",
    )
    peak_s = users * ev.peak_active_share * per_active_minute(ev, a) / 60
    needed = math.ceil(max(peak_s * kinesis / (0.5 * MB), peak_s * ev.kinesis_records / 500, 1))
    shards = max(a.events_shards, needed)
    put_units = n * ev.kinesis_put_units
    report.add(
        COMPONENT,
        "Kinesis events stream",
        shards * hours,
        "shard-hours",
        shards * hours * p("kinesis.shard_hour") + put_units / 1e6 * p("kinesis.put_units_per_million"),
        f"{shards} shard(s), peak {peak_s:,.0f} events/s; {put_units / 1e6:,.1f} M PUT payload units",
    )
    units = n * ev.write_units_per_1000 / 1000
    report.add(
        COMPONENT,
        "DynamoDB writes",
        units,
        "write units",
        units / 1e6 * p("dynamodb.write_units_per_million"),
        f"{ev.write_units_per_1000:.1f} units per 1,000 events ({ev.write_requests_per_1000:.2f} requests), measured",
    )
    if a.lake:
        parquet_gb = n * ev.parquet_bytes / GB
        standard_gb = parquet_gb * a.lake_standard_days / DAYS_PER_MONTH
        glacier_gb = parquet_gb * max(0, a.lake_expiration_days - a.lake_standard_days) / DAYS_PER_MONTH
        puts = n * ev.lake_puts_per_1000 / 1000
        report.add(
            COMPONENT,
            "lake (S3)",
            standard_gb + glacier_gb,
            "GB-month",
            standard_gb * p("s3.standard_per_gb_month")
            + glacier_gb * p("s3.glacier_flexible_per_gb_month")
            + puts / 1000 * p("s3.put_per_1000"),
            f"{ev.parquet_bytes:.0f} B Parquet per event, {puts / 1e3:,.0f} k PUTs",
        )
    if a.networking:
        processed_gb = n * (line + kinesis) / GB  # lines to the logs endpoint, records read from Kinesis
        per_gb = p("nat.per_gb") if a.network_mode == "nat" else p("vpc_endpoint.per_gb")
        report.add(
            COMPONENT,
            "network (data processed)",
            processed_gb,
            "GB",
            processed_gb * per_gb,
            f"through the {'NAT gateways' if a.network_mode == 'nat' else 'interface endpoints'} (hours billed above)",
        )


def peak_event_bytes_per_second(users: int, measured: Measured, a: Assumptions) -> float:
    """Event bytes a second through the collector's load balancer at the busiest minute (the untrimmed line stands in
    for the OTLP request: the trim runs behind the balancer)."""
    ev = event_figures(measured)
    return users * ev.peak_active_share * per_active_minute(ev, a) / 60 * ev.untrimmed_line_bytes


def otlp_events_ingest_gb(users: int, measured: Measured, a: Assumptions) -> float:
    """GB of events the OTLP → CloudWatch path would ingest: no collector trims them there, so the untrimmed line
    (the exporter's JSON of the same attributes) stands in for the OTLP log record."""
    ev = event_figures(measured)
    return events_per_month(users, measured, a) * (ev.untrimmed_line_bytes + LOG_EVENT_OVERHEAD_BYTES) / GB
