"""What the cost model assumes beyond the measured figures: deployment sizes and how people use the results.

Defaults follow the shipped templates (`infra/streaming.yaml`, `infra/networking.yaml`) and the seed design
(`monitoring-architecture.md`). Every field can be overridden from `ccstream cost`; the report prints them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Assumptions:
    #: Kinesis shards; None = the template default (2) or more if the measured peak needs it.
    shards: int | None = None
    min_shards: int = 2
    #: Consumer tasks = ceil(shards / shards_per_task), each `consumer_vcpu` / `consumer_gb` (template defaults).
    shards_per_task: int = 2
    consumer_vcpu: float = 1.0
    consumer_gb: float = 2.0
    #: Collector tasks behind one ALB (monitoring.yaml CollectorCount, task size 512 CPU / 1024 MiB).
    collector_tasks: int = 2
    collector_vcpu: float = 0.5
    collector_gb: float = 1.0
    #: Clients with an open OTLP connection per ALB LCU (an LCU covers 3,000 active connections per minute).
    connections_per_lcu: int = 3_000
    #: CloudWatch Logs retention of the raw EMF events (template default).
    log_retention_days: int = 30
    #: Parquet lake: S3 Standard for `lake_standard_days`, then Glacier Flexible Retrieval until
    #: `lake_expiration_days` (analytics.yaml LakeGlacierDays / LakeExpirationDays).
    lake_standard_days: int = 90
    lake_expiration_days: int = 730
    lake: bool = True
    #: analytics.yaml TransformLambdaArn: empty (default) = Firehose's built-in decompression and message
    #: extraction; set = the transform Lambda with dynamic partitioning by event time.
    firehose_transform_lambda: bool = False
    #: Dashboard loads per day, each running every Lambda-backed widget once (seed: 6 DynamoDB + 2 metrics widgets).
    dashboard_loads_per_day: int = 200
    dynamodb_widgets: int = 6
    other_lambda_widgets: int = 2
    widget_seconds: float = 0.5
    widget_gb: float = 0.25
    #: The user-day rollup (`ccstream rollup`, a Fargate task of the consumer's size started by EventBridge,
    #: `RollupScheduleExpression` = rate(5 minutes)) writes the day items of users with new data since the last run.
    rollup_every_min: int = 5
    rollup_task_minutes: float = 1.5
    daily_active_share: float = 0.7
    #: Ad-hoc Athena queries per day over `athena_days` of the lake, reading this share of its bytes (columns).
    athena_queries_per_day: int = 20
    athena_days: int = 7
    athena_column_share: float = 0.25
    #: networking.yaml: `endpoints` (NatGateways none, the default: 8 interface endpoints — Kinesis, CloudWatch,
    #: CloudWatch Logs, ECR API and Docker, SSM, SNS, KMS — in each AZ; S3 and DynamoDB through free gateway
    #: endpoints) or `nat` (NatGateways per-az, CreateInterfaceEndpoints false). `networking=False`: not billed here.
    networking: bool = True
    network_mode: str = "endpoints"
    interface_endpoints: int = 8
    availability_zones: int = 2
    #: monitoring.yaml CollectorScheme: internal (default) or internet-facing (public IPv4 addresses billed).
    alb_internet_facing: bool = False
    #: collector/config.yaml: the transform/trim block (shipped) and awsemf's metric declarations (shipped).
    trim_attributes: bool = True
    metric_extraction: bool = True
    #: The consumer publishes exact per-minute CloudWatch metrics for closed windows (CCSTREAM_PUBLISH_METRICS).
    consumer_metrics: bool = True
    #: CloudWatch Logs class of the metrics log group: only `standard` works (see LOG_CLASS_REFUSAL).
    log_class: str = "standard"
    #: streaming.yaml StreamModeDetails: `provisioned` (ShardCount shards) or `on-demand`.
    stream_mode: str = "provisioned"
    #: Claude Code events (OTel logs): collector → /aws/claude-code/events → the events stream → the events app.
    events: bool = True
    #: Events per developer and minute in a conversation; None = the measured mix (benchmarks/events.py RATES:
    #: 8.5 = 3 API requests, 1 assistant response, 2 tool decisions, 1.9 results, 0.3 prompts, rare errors …).
    events_per_active_minute: float | None = None
    #: Minutes in a conversation per developer-month; None = measured on the metrics simulator (≈ 5,300, 89 h).
    active_minutes_per_user_month: float | None = None
    #: collector/config.yaml transform/events_trim (shipped on); streaming.yaml EventsShardCount and
    #: EventsLogRetentionDays.
    events_trim: bool = True
    events_shards: int = 1
    events_log_retention_days: int = 30

    def to_json(self) -> dict[str, object]:
        return asdict(self)
