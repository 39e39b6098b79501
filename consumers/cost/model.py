"""Monthly AWS bill per component for N users, from measured figures and the dated price table.

Volumes scale with data points: points per month = users × the measured points per user-month (a simulated week of
workday and weekend activity). Every byte and write figure per point is measured (`measured.json`); deployment
sizes and usage habits are `Assumptions`. Fixed costs (shards, tasks, endpoints) do not scale with users.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from consumers.cost.assumptions import Assumptions
from consumers.cost.events import add_events, peak_event_bytes_per_second
from consumers.cost.measured import HOW_TO_MEASURE, Measured, PerPoint
from consumers.cost.prices import AwsPrices
from consumers.errors import ConfigError
from consumers.windows.definitions import WINDOW_SIZES

GB = 1024**3
TB = 1024**4
MB = 1024**2
DAYS_PER_MONTH = 730 / 24
MINUTES_PER_MONTH = 730 * 60
#: CloudWatch Logs counts 26 bytes of metadata per event towards a PutLogEvents batch; counted as billed (an
#: upper bound: AWS does not say whether ingestion bills them).
LOG_EVENT_OVERHEAD_BYTES = 26
#: Lambda gets one full vCPU at 1,769 MB, so a single-threaded CPU-bound run costs cpu seconds × 1.769 GB-s.
LAMBDA_GB_PER_VCPU = 1.769
#: Firehose buffers 900 s at most before writing to S3: at least four objects per hourly partition.
FIREHOSE_OBJECTS_PER_HOUR = 4
#: Seed `monitoring-architecture.md`: "Estimated cost at 10,000 users: ~$100/month".
SEED_CLAIM_USD = 100.0
SEED_CLAIM_USERS = 10_000
#: Why the Infrequent Access log class is not an option (checked 2026-12: AWS's log class feature table; the
#: aws-samples/aws-secure-environment-accelerator fix of 2025-03 skips subscription filters on IA log groups for it).
LOG_CLASS_REFUSAL = (
    "the Infrequent Access log class (0.25 USD/GB) has no subscription filters and does not extract EMF metrics: "
    "no line would reach Kinesis, so nothing would be aggregated; ccstream needs the Standard class"
)
#: W rows after a whole window vs after the measured 10 minutes: label signatures saturate within minutes (10,000
#: users: 1,360 signatures / 19 KB encoded after 10 min, 1,365 / 19 KB after 60 min, measured with the simulator).
W_ROW_GROWTH = 1.0
#: monitoring.yaml: the collector config and the org mapping are Advanced-tier SSM parameters (8 KB).
ADVANCED_PARAMETERS = 2
#: Share of users in a user-hour row (the busiest simulated hours have about half the users in a session).
HOURLY_ACTIVE_SHARE = 0.5


@dataclass(frozen=True)
class CostLine:
    component: str
    item: str
    quantity: float
    unit: str
    usd: float
    note: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "component": self.component,
            "item": self.item,
            "quantity": round(self.quantity, 4),
            "unit": self.unit,
            "usd_per_month": round(self.usd, 2),
            "note": self.note,
        }


@dataclass
class CostReport:
    users: int
    points_per_month: float
    prices_date: str
    measured_on: str
    assumptions: Assumptions
    lines: list[CostLine] = field(default_factory=list)

    def add(self, component: str, item: str, quantity: float, unit: str, usd: float, note: str = "") -> None:
        self.lines.append(CostLine(component, item, quantity, unit, usd, note))

    @property
    def total(self) -> float:
        return sum(line.usd for line in self.lines)

    def by_component(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for line in self.lines:
            out[line.component] = out.get(line.component, 0.0) + line.usd
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))

    def dominant(self) -> tuple[str, float]:
        return next(iter(self.by_component().items()))

    def seed_comparison(self) -> str:
        name, usd = self.dominant()
        against = f" ({self.total / SEED_CLAIM_USD:.1f}× the seed)" if self.users == SEED_CLAIM_USERS else ""
        return (
            f"seed estimate: ~${SEED_CLAIM_USD:.0f}/month at {SEED_CLAIM_USERS:,} users; this projection for "
            f"{self.users:,} users: ${self.total:,.0f}/month{against}. "
            f"Largest component: {name} (${usd:,.0f}, {100 * usd / self.total:.0f}%)."
        )

    def to_json(self) -> dict[str, object]:
        return {
            "users": self.users,
            "data_points_per_month": round(self.points_per_month),
            "total_usd_per_month": round(self.total, 2),
            "by_component": {k: round(v, 2) for k, v in self.by_component().items()},
            "lines": [line.to_json() for line in self.lines],
            "prices_effective_date": self.prices_date,
            "measured_on": self.measured_on,
            "assumptions": self.assumptions.to_json(),
            "seed_comparison": self.seed_comparison(),
        }


@dataclass(frozen=True)
class Lines:
    """Per data point, what the collector writes under the chosen settings."""

    emf_bytes: float
    log_events: float
    kinesis_bytes: float
    metrics_scale: float  # CloudWatch metrics from the collector, relative to the measured (shipped) count
    note: str


def lines_for(measured: Measured, a: Assumptions) -> Lines:
    """The measured line figures of the collector setting `a` asks for (trim, metric extraction)."""
    pp = measured.per_point
    variant = measured.variant(a.trim_attributes, a.metric_extraction)
    shipped = measured.variant(True, True)
    if variant is None or shipped is None:
        if (a.trim_attributes, a.metric_extraction) != (True, True):
            raise ConfigError(f"measured.json has no figures for that collector setting: {HOW_TO_MEASURE}")
        return Lines(pp.emf_bytes, pp.log_events, pp.kinesis_bytes, 1.0, "shipped collector settings")
    # The shipped variant is measured twice (peak sample and the full run): scale the run's figures by the ratio.
    ratio = variant.emf_bytes / shipped.emf_bytes
    return Lines(
        pp.emf_bytes * ratio,
        pp.log_events * variant.log_events / shipped.log_events,
        pp.kinesis_bytes * variant.kinesis_bytes / shipped.kinesis_bytes,
        1.0 if a.metric_extraction else 0.0,
        f"trim {'on' if a.trim_attributes else 'off'}, metric extraction {'on' if a.metric_extraction else 'off'}",
    )


def project(users: int, measured: Measured, prices: AwsPrices, assume: Assumptions | None = None) -> CostReport:
    """The monthly bill for `users` Claude Code users."""
    if users <= 0:
        raise ValueError("users must be positive")
    a = assume or Assumptions()
    if a.log_class != "standard":
        raise ConfigError(LOG_CLASS_REFUSAL)
    month = measured.month_for(users)
    pp = measured.per_point
    lines = lines_for(measured, a)
    points = users * month.points_per_user_month
    report = CostReport(users, points, prices.effective_date, measured.measured_on, a)
    p = prices.usd

    # CloudWatch Logs: the collector's EMF lines, their archive, and the metrics awsemf extracts.
    ingest_gb = points * (lines.emf_bytes + LOG_EVENT_OVERHEAD_BYTES * lines.log_events) / GB
    report.add(
        "CloudWatch Logs",
        "ingestion",
        ingest_gb,
        "GB",
        ingest_gb * p("cloudwatch_logs.ingest_per_gb"),
        f"{lines.emf_bytes:,.0f} B EMF + {LOG_EVENT_OVERHEAD_BYTES} B per event ({lines.note})",
    )
    stored_gb = points * lines.kinesis_bytes / GB * a.log_retention_days / DAYS_PER_MONTH
    report.add(
        "CloudWatch Logs",
        "storage",
        stored_gb,
        "GB-month",
        stored_gb * p("cloudwatch_logs.storage_per_gb_month"),
        f"{a.log_retention_days} days, gzip size ({lines.kinesis_bytes:.0f} B/point)",
    )
    series = round(measured.metric_series_for(users) * lines.metrics_scale)
    if series:
        report.add(
            "CloudWatch metrics",
            "EMF metrics (collector)",
            series,
            "metrics",
            series * p("cloudwatch.custom_metric_month"),
            "awsemf's declared aggregate dimensions (measured)",
        )

    peak_points_s = month.peak_points_per_second * users / month.users
    shards = _kinesis(report, prices, a, points, peak_points_s, lines.kinesis_bytes, pp.kinesis_records, pp)
    if a.consumer_metrics:
        published = measured.published_series_for(users)
        put_calls = shards * MINUTES_PER_MONTH * measured.put_metric_data_calls_per_shard_minute
        report.add(
            "CloudWatch metrics",
            "closed windows (consumer)",
            published,
            "metrics",
            published * p("cloudwatch.custom_metric_month")
            + put_calls / 1000 * p("cloudwatch.put_metric_data_per_1000"),
            f"published per 1-minute window; {put_calls:,.0f} PutMetricData calls",
        )

    # The KCL consumer on Fargate.
    tasks = math.ceil(shards / a.shards_per_task)
    task_hour = a.consumer_vcpu * p("fargate.vcpu_hour") + a.consumer_gb * p("fargate.gb_hour")
    report.add(
        "Consumer (Fargate)",
        "tasks",
        tasks * prices.hours_per_month,
        "task-hours",
        tasks * prices.hours_per_month * task_hour,
        f"{tasks} × {a.consumer_vcpu:g} vCPU / {a.consumer_gb:g} GB",
    )

    _dynamodb(report, measured, prices, a, users, points, shards)
    if a.lake:
        _lake(report, measured, prices, a, points)
    _dashboard(report, prices, a, users, measured)
    events_s = peak_event_bytes_per_second(users, measured, a) if a.events else 0.0
    _collector(report, prices, a, users, peak_points_s * lines.emf_bytes + events_s)
    if a.networking:
        _networking(report, prices, a, points, lines.emf_bytes + lines.kinesis_bytes)
    if a.events:
        add_events(report, measured, prices, a, users)
    return report


def _kinesis(
    report: CostReport,
    prices: AwsPrices,
    a: Assumptions,
    points: float,
    peak_points_s: float,
    kinesis_bytes: float,
    kinesis_records: float,
    pp: PerPoint,
) -> int:
    """Kinesis Data Streams lines; returns the shard count the consumer is sized for."""
    p, hours = prices.usd, prices.hours_per_month
    peak_bytes_s = peak_points_s * kinesis_bytes
    peak_records_s = peak_points_s * kinesis_records
    needed = math.ceil(max(peak_bytes_s / (0.5 * MB), peak_records_s / 500, 1))  # 50% headroom per shard
    shards = a.shards if a.shards is not None else max(a.min_shards, needed)
    peak = f"peak {peak_bytes_s / 1024:,.0f} KB/s, {peak_records_s:,.1f} records/s"
    if a.stream_mode == "on-demand":
        in_gb = points * kinesis_bytes / GB  # records average ~30 KB: the 1 KB rounding adds < 2 %
        readers = 2 if a.lake else 1  # the aggregator and Firehose each read every record
        report.add("Kinesis", "on-demand stream", hours, "stream-hours", hours * p("kinesis.on_demand_stream_hour"))
        report.add(
            "Kinesis",
            "on-demand data in and out",
            in_gb,
            "GB",
            in_gb * (p("kinesis.on_demand_ingest_per_gb") + readers * p("kinesis.on_demand_retrieval_per_gb")),
            f"{peak}; {readers} reader(s)",
        )
        return max(1, needed)
    report.add(
        "Kinesis",
        "shard-hours",
        shards * hours,
        "shard-hours",
        shards * hours * p("kinesis.shard_hour"),
        f"{shards} shards ({peak})",
    )
    put_units = points * pp.kinesis_put_units
    report.add("Kinesis", "PUT payload units", put_units, "units", put_units / 1e6 * p("kinesis.put_units_per_million"))
    return shards


def _dynamodb(
    report: CostReport, measured: Measured, prices: AwsPrices, a: Assumptions, users: int, points: float, shards: int
) -> None:
    p, month = prices.usd, measured.month_for(users)
    units = points * month.write_units_per_1000_points / 1000
    report.add(
        "DynamoDB",
        "writes (consumer)",
        units,
        "write units",
        units / 1e6 * p("dynamodb.write_units_per_million"),
        f"{month.write_units_per_1000_points:,.0f} units per 1,000 points "
        f"({month.write_requests_per_1000_points:.1f} requests), measured",
    )
    runs = MINUTES_PER_MONTH / a.rollup_every_min
    # Each run reads the day's user-days (≈ 250 B each, eventually consistent: 0.5 unit per 4 KB) and writes only
    # the ones with new data (item + its UserActivityIndex entry), a measured share of all users per interval.
    changed = month.changed_user_share or a.daily_active_share
    rollup_units = runs * users * changed * 2
    rollup_reads = runs * users * a.daily_active_share * 250 / 4096 * 0.5
    report.add(
        "DynamoDB",
        "writes (user-day rollup)",
        rollup_units,
        "write units",
        rollup_units / 1e6 * p("dynamodb.write_units_per_million")
        + rollup_reads / 1e6 * p("dynamodb.read_units_per_million"),
        f"every {a.rollup_every_min} min, {changed:.0%} of users with new data per run"
        + (" (measured)" if month.changed_user_share else "")
        + f"; {rollup_reads / 1e6:.1f} M read units included",
    )
    rows = measured.rows_for(users)
    w1h = rows.bytes_per_window.get("W1h", 0) * W_ROW_GROWTH
    reads = points * month.read_units_per_1000_points / 1000
    widget_reads = a.dashboard_loads_per_day * DAYS_PER_MONTH * a.dynamodb_widgets * (24 * w1h / 8192)
    report.add(
        "DynamoDB",
        "reads (consumer + dashboard)",
        reads + widget_reads,
        "read units",
        (reads + widget_reads) / 1e6 * p("dynamodb.read_units_per_million"),
        f"dashboard: {a.dashboard_loads_per_day}/day × {a.dynamodb_widgets} widgets × one day of 1h rows",
    )
    table_gb = _table_bytes(rows.bytes_per_window, rows.bytes_per_user_entry, users, a, shards) / GB
    billed = max(0.0, table_gb - p("dynamodb.free_storage_gb"))
    report.add(
        "DynamoDB",
        "storage (GSIs included)",
        table_gb,
        "GB-month",
        billed * p("dynamodb.storage_per_gb_month"),
        "upper bound; first 25 GB free",
    )
    base_gb = _table_bytes(rows.bytes_per_window, rows.bytes_per_user_entry, users, a, shards, gsis=False) / GB
    report.add("DynamoDB", "point-in-time recovery", base_gb, "GB-month", base_gb * p("dynamodb.pitr_per_gb_month"))


def _table_bytes(
    per_window: dict[str, int], entry_bytes: float, users: int, a: Assumptions, shards: int, gsis: bool = True
) -> float:
    """Steady-state bytes of the W/U rows: window bytes × windows kept (TTL) × copies (GSI2, and GSI3 for 1d)."""
    total = 0.0
    for tag, measured_bytes in per_window.items():
        kind, size = tag[0], tag[1:]
        window = WINDOW_SIZES[size]
        size_bytes = float(measured_bytes)
        if kind == "W" and size != "1m":
            size_bytes *= W_ROW_GROWTH
        elif kind == "U" and size == "1h":
            size_bytes = max(size_bytes, users * HOURLY_ACTIVE_SHARE * entry_bytes * min(shards, 2))
        elif kind == "U" and size == "1d":
            size_bytes = max(size_bytes, users * a.daily_active_share * entry_bytes * min(shards, 2))
        kept = (window.duration_ms + window.ttl_ms) / window.duration_ms
        copies = (3 if size == "1d" else 2) if gsis else 1
        total += size_bytes * kept * copies
    return total


def _lake(report: CostReport, measured: Measured, prices: AwsPrices, a: Assumptions, points: float) -> None:
    p, pp = prices.usd, measured.per_point
    hours = prices.hours_per_month
    billed_gb = points * pp.firehose_billed_bytes / GB
    report.add(
        "Firehose",
        "ingestion from Kinesis",
        billed_gb,
        "GB",
        billed_gb * p("firehose.ingest_per_gb"),
        "records rounded up to 5 KB",
    )
    report.add("Firehose", "Parquet conversion", billed_gb, "GB", billed_gb * p("firehose.format_conversion_per_gb"))
    parquet_gb = points * pp.parquet_bytes / GB
    objects = hours * FIREHOSE_OBJECTS_PER_HOUR
    if a.firehose_transform_lambda:
        report.add(
            "Firehose",
            "dynamic partitioning",
            parquet_gb,
            "GB",
            parquet_gb * p("firehose.dynamic_partitioning_per_gb")
            + objects / 1000 * p("firehose.dynamic_partitioning_per_1000_objects"),
        )
        gb_s = points * pp.transform_cpu_us / 1e6 * LAMBDA_GB_PER_VCPU
        invocations = max(MINUTES_PER_MONTH, points * pp.lake_json_bytes / MB)
        report.add(
            "Firehose",
            "transform Lambda",
            gb_s,
            "GB-s",
            gb_s * p("lambda.gb_second") + invocations / 1e6 * p("lambda.requests_per_million"),
            f"{pp.transform_cpu_us:.0f} µs CPU per point, measured",
        )
    else:
        decompressed_gb = points * pp.emf_bytes / GB
        report.add(
            "Firehose",
            "decompression",
            decompressed_gb,
            "GB",
            decompressed_gb * p("firehose.decompression_per_gb"),
            "built-in gunzip + message extraction (template default)",
        )
    standard_gb = parquet_gb * a.lake_standard_days / DAYS_PER_MONTH
    glacier_days = max(0, a.lake_expiration_days - a.lake_standard_days)
    glacier_gb = parquet_gb * glacier_days / DAYS_PER_MONTH
    report.add(
        "S3",
        "lake storage",
        standard_gb + glacier_gb,
        "GB-month",
        standard_gb * p("s3.standard_per_gb_month") + glacier_gb * p("s3.glacier_flexible_per_gb_month"),
        f"{pp.parquet_bytes:.0f} B Parquet per point; {a.lake_standard_days} days Standard, {glacier_days} Glacier",
    )
    report.add("S3", "requests", objects, "PUTs", objects / 1000 * p("s3.put_per_1000"))
    per_query = max(10 * MB, a.athena_days * points / DAYS_PER_MONTH * pp.parquet_bytes * a.athena_column_share)
    queries = a.athena_queries_per_day * DAYS_PER_MONTH
    report.add(
        "Athena",
        "queries",
        queries,
        "queries",
        queries * per_query / TB * p("athena.per_tb_scanned"),
        f"{per_query / MB:,.0f} MB scanned each ({a.athena_days} days, {a.athena_column_share:.0%} of bytes)",
    )


def _dashboard(report: CostReport, prices: AwsPrices, a: Assumptions, users: int, measured: Measured) -> None:
    p = prices.usd
    report.add("Dashboard", "CloudWatch dashboard", 1, "dashboards", p("cloudwatch.dashboard_month"))
    calls = a.dashboard_loads_per_day * DAYS_PER_MONTH * (a.dynamodb_widgets + a.other_lambda_widgets)
    gb_s = calls * a.widget_seconds * a.widget_gb
    report.add(
        "Dashboard",
        "widget Lambda",
        calls,
        "invocations",
        calls / 1e6 * p("lambda.requests_per_million") + gb_s * p("lambda.gb_second"),
        f"{a.widget_seconds:g} s × {a.widget_gb * 1024:.0f} MB per widget call",
    )
    runs = MINUTES_PER_MONTH / a.rollup_every_min
    task_hours = runs * a.rollup_task_minutes / 60
    task_hour = a.consumer_vcpu * p("fargate.vcpu_hour") + a.consumer_gb * p("fargate.gb_hour")
    report.add(
        "Dashboard",
        "user-day rollup task",
        task_hours,
        "task-hours",
        task_hours * task_hour,
        f"every {a.rollup_every_min} min, {a.rollup_task_minutes:g} billed minutes per run",
    )


def _collector(report: CostReport, prices: AwsPrices, a: Assumptions, users: int, peak_bytes_s: float) -> None:
    p, hours = prices.usd, prices.hours_per_month
    task_hour = a.collector_vcpu * p("fargate.vcpu_hour") + a.collector_gb * p("fargate.gb_hour")
    report.add(
        "Collector (Fargate + ALB)",
        "collector tasks",
        a.collector_tasks * hours,
        "task-hours",
        a.collector_tasks * hours * task_hour,
        f"{a.collector_tasks} × {a.collector_vcpu:g} vCPU / {a.collector_gb:g} GB",
    )
    ssm = ADVANCED_PARAMETERS * p("ssm.advanced_parameter_month")
    report.add("Collector (Fargate + ALB)", "SSM parameters (Advanced tier)", ADVANCED_PARAMETERS, "parameters", ssm)
    lcus = max(1.0, users / a.connections_per_lcu, peak_bytes_s * 3600 / GB)
    public_ips = a.availability_zones if a.alb_internet_facing else 0
    report.add(
        "Collector (Fargate + ALB)",
        "load balancer",
        hours,
        "hours",
        hours * (p("alb.hour") + lcus * p("alb.lcu_hour") + public_ips * p("public_ipv4.hour")),
        f"{lcus:.1f} LCU, {'internet-facing' if public_ips else 'internal'}",
    )


def _networking(report: CostReport, prices: AwsPrices, a: Assumptions, points: float, bytes_per_point: float) -> None:
    """networking.yaml: interface endpoints (NatGateways none, the default) or one NAT gateway per AZ."""
    p, hours = prices.usd, prices.hours_per_month
    # EMF to CloudWatch Logs and the consumer's Kinesis reads (Firehose reads outside the VPC; DynamoDB and S3
    # through the free gateway endpoints)
    processed_gb = points * bytes_per_point / GB
    if a.network_mode == "nat":
        nats = a.availability_zones
        report.add(
            "Networking",
            "NAT gateways",
            nats * hours,
            "hours",
            nats * hours * (p("nat.hour") + p("public_ipv4.hour")) + processed_gb * p("nat.per_gb"),
            f"one per AZ ({nats}), {processed_gb:,.0f} GB processed; no interface endpoints",
        )
        return
    endpoint_hours = a.interface_endpoints * a.availability_zones * hours
    report.add(
        "Networking",
        "interface VPC endpoints",
        endpoint_hours,
        "endpoint-AZ-hours",
        endpoint_hours * p("vpc_endpoint.interface_hour_per_az") + processed_gb * p("vpc_endpoint.per_gb"),
        f"{a.interface_endpoints} endpoints × {a.availability_zones} AZs, {processed_gb:,.0f} GB processed",
    )
