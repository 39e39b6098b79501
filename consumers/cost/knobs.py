"""Every setting the bill depends on, what changing it saves and what it gives up, and the settings profiles.

    knob_table(users, measured, prices, base) -> list[KnobEffect]   # each knob alone, against `base`
    PROFILES["lean"]                                                 # the cheapest settings that keep every feature
    otlp_to_cloudwatch(users, measured, prices) -> Alternative       # the path the AWS guidance uses now

Savings are computed by projecting the bill twice (`project`), never estimated separately.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from consumers.cost.assumptions import Assumptions
from consumers.cost.events import otlp_events_ingest_gb
from consumers.cost.measured import Measured
from consumers.cost.model import GB, LOG_CLASS_REFUSAL, SEED_CLAIM_USD, CostReport, project
from consumers.cost.prices import AwsPrices

#: The target of issue 18 at 10,000 developers.
TARGET_USD = 400.0


@dataclass(frozen=True)
class Knob:
    name: str
    setting: str  # what to set, where
    keeps_features: bool
    trade_off: str
    change: dict[str, object]


KNOBS: tuple[Knob, ...] = (
    Knob(
        "attribute trim",
        "collector/config.yaml transform/trim (shipped on); off = delete the block",
        True,
        "on: os.*, host.arch, user.account_*, anthropic.custom_base_url are not stored (no query reads them)",
        {"trim_attributes": True},
    ),
    Knob(
        "collector metric extraction off",
        "collector/config.yaml awsemf metric_declarations: one selecting no metric",
        True,
        "the consumer's exact per-minute metrics (what the dashboard plots) stay; no CloudWatch metric while the "
        "consumer is down",
        {"metric_extraction": False},
    ),
    Knob(
        "consumer metrics off",
        "CCSTREAM_PUBLISH_METRICS=0 on the consumer task",
        False,
        "the dashboard's native metric widgets and metric alarms lose their data",
        {"consumer_metrics": False},
    ),
    Knob(
        "log retention 1 day",
        "streaming.yaml LogRetentionDays=1",
        True,
        "the raw EMF lines stay in the lake; only Logs Insights over older lines is lost",
        {"log_retention_days": 1},
    ),
    Knob(
        "NAT gateways instead of endpoints",
        "networking.yaml NatGateways=per-az, CreateInterfaceEndpoints=false",
        True,
        "tasks get a route to the internet (endpoint policies no longer fence the traffic)",
        {"network_mode": "nat"},
    ),
    Knob("1 Kinesis shard", "streaming.yaml ShardCount=1", True, "one consumer task, 1 MB/s of room", {"shards": 1}),
    Knob(
        "on-demand stream",
        "streaming.yaml StreamModeDetails ON_DEMAND: a template edit (no parameter)",
        True,
        "no shard planning; pays per GB in and out",
        {"stream_mode": "on-demand"},
    ),
    Knob(
        "consumer 0.5 vCPU / 1 GB",
        "streaming.yaml ConsumerCpu=512 (its smallest allowed value), ConsumerMemory=1024",
        True,
        "10,000 users: ~360 points/s at the peak (< 2 % of a core at the measured µs per point); the soak's "
        "processors ≤ 109 MB each and Java ≤ 265 MB fit in 1 GB",
        {"consumer_vcpu": 0.5, "consumer_gb": 1.0},
    ),
    Knob(
        "collector 0.25 vCPU / 0.5 GB",
        "monitoring.yaml collector task Cpu 256, Memory 512: a template edit (no parameter)",
        True,
        "about 360 points/s and 270 events/s at 10,000 users; the collector's memory at that rate is not "
        "measured here (memory_limiter caps it at 75 % of 0.5 GB)",
        {"collector_vcpu": 0.25, "collector_gb": 0.5},
    ),
    Knob(
        "user-day rollup every 15 min",
        "streaming.yaml RollupScheduleExpression rate(15 minutes)",
        False,
        "user-day totals (top users, budgets) lag up to 15 minutes instead of 5",
        {"rollup_every_min": 15},
    ),
    Knob("no lake", "do not deploy analytics.yaml", False, "no Parquet lake, no Athena, no reconcile", {"lake": False}),
    Knob(
        "events trim",
        "collector/config.yaml transform/events_trim (shipped on); off = delete the block",
        True,
        "on: event attributes no consumer reads (plugin and settings details, os.*, user.groups, cost_usd, "
        "event.timestamp, the scope) are not stored",
        {"events_trim": True},
    ),
    Knob(
        "events log retention 1 day",
        "streaming.yaml EventsLogRetentionDays=1",
        True,
        "the events lake table keeps every event's metadata; only Logs Insights over older lines is lost",
        {"events_log_retention_days": 1},
    ),
    Knob(
        "no events",
        "clients' managed settings without OTEL_LOGS_EXPORTER=otlp (Claude Code then sends no events)",
        False,
        "no API latency, errors, retries, tool success or subagent views; cost from cost.usage metrics only",
        {"events": False},
    ),
)

#: Settings profiles: `shipped` = the templates' defaults; `lean` = every feature-keeping knob that saves money and
#: is a parameter of the templates or of collector/config.yaml (no template edit).
PROFILES: dict[str, Assumptions] = {
    "shipped": Assumptions(),
    "lean": Assumptions(
        metric_extraction=False,
        log_retention_days=1,
        events_log_retention_days=1,
        shards=1,
        consumer_vcpu=0.5,
        consumer_gb=1.0,
    ),
}


@dataclass(frozen=True)
class KnobEffect:
    knob: Knob
    applied: bool  # the base already has it
    saves: float  # USD/month the knob's setting saves (negative: it costs more)


def knob_table(users: int, measured: Measured, prices: AwsPrices, base: Assumptions) -> list[KnobEffect]:
    """What each knob saves against `base`: applied alone, or (when `base` has it) undone back to the value of the
    shipped templates (for the trim, which ships on: back to off)."""
    reference = project(users, measured, prices, base).total
    out = []
    for knob in KNOBS:
        changed = replace(base, **knob.change)  # type: ignore[arg-type]
        if changed != base:
            out.append(KnobEffect(knob, False, reference - project(users, measured, prices, changed).total))
            continue
        shipped = Assumptions()
        undone = {k: getattr(shipped, k) for k in knob.change}
        if undone == knob.change:  # shipped with it (the trim): undoing means the opposite setting
            undone = {k: not v if isinstance(v, bool) else v for k, v in knob.change.items()}
        total = project(users, measured, prices, replace(base, **undone)).total
        out.append(KnobEffect(knob, True, total - reference))
    return out


@dataclass(frozen=True)
class Alternative:
    name: str
    usd: float
    lines: dict[str, float]
    gives_up: str


def otlp_to_cloudwatch(
    users: int, measured: Measured, prices: AwsPrices, central: bool, assume: Assumptions | None = None
) -> Alternative:
    """OTLP straight into CloudWatch (per-GB ingestion, PromQL, no consumers), on the same points and labels, and
    (when `assume.events`) the same events as OTLP logs into CloudWatch Logs, untrimmed.

    `central`: the guidance's central mode (one collector task behind an ALB); else its sidecar mode (each
    developer's machine signs and sends OTLP itself)."""
    assume = assume or Assumptions()
    events = assume.events
    p = prices.usd
    points = users * measured.month_for(users).points_per_user_month
    ingest_gb = points * measured.otlp_bytes_per_point / GB
    lines = {"OTLP metrics ingestion": ingest_gb * p("cloudwatch.otel_metrics_ingest_per_gb")}
    if events:
        lines["OTLP events into CloudWatch Logs"] = otlp_events_ingest_gb(users, measured, assume) * p(
            "cloudwatch_logs.ingest_per_gb"
        )
    lines["dashboard"] = p("cloudwatch.dashboard_month")
    if central:
        hours = prices.hours_per_month
        lines["collector task (0.5 vCPU / 1 GB)"] = hours * (0.5 * p("fargate.vcpu_hour") + 1.0 * p("fargate.gb_hour"))
        lines["load balancer"] = hours * (p("alb.hour") + max(1.0, users / 3000) * p("alb.lcu_hour"))
    gives_up = (
        "exactly-once windowed aggregates and per-user rows (PromQL sums raw samples; a retried export counts "
        "twice), budgets and alerts, the Parquet lake and Athena SQL (the guidance adds its awsemf + Firehose path "
        "back for analytics), the 20-widget dashboard; identity labels (user.email) live in metric labels for 15 "
        "months; programmatic PromQL queries are billed per sample"
        + ("; events are raw log lines (Logs Insights, no latency sketches or per-window aggregates)" if events else "")
    )
    name = f"OTLP → CloudWatch ({'central' if central else 'sidecar'} mode)"
    return Alternative(name, sum(lines.values()), lines, gives_up)


def seed_gap(report: CostReport) -> str:
    """Why the seed's ~$100 is not the bill: it priced the CloudWatch metrics only."""
    logs = report.by_component().get("CloudWatch Logs", 0.0)
    metrics = report.by_component().get("CloudWatch metrics", 0.0)
    return (
        f"the seed's ~${SEED_CLAIM_USD:.0f}/month priced its ~100–200 aggregate CloudWatch metrics (${metrics:,.0f} "
        f"here) and left out ingesting the EMF lines into CloudWatch Logs (${logs:,.0f}), the network, the "
        "collector's load balancer, Kinesis, the consumer and DynamoDB"
    )


__all__ = ["LOG_CLASS_REFUSAL", "TARGET_USD"]
