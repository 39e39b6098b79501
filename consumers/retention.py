"""How long every store keeps data: the one source the writers, the templates' parameters and the README read.

Each `Retention` names a store, its default, what enforces it, and how to change it: an environment variable the
consumer, rollup and Lambdas read (stores whose expiry the code sets: DynamoDB TTLs) and/or a CloudFormation
parameter (`<template>:<Name>`), or a fixed value in a template (`literals`, `<template>:<LogicalId>`).
`tests/privacy/test_retention_docs.py` fails when the README table (`python -m consumers.retention` prints it), a
template's parameter default or literal, the task environment, or what the code writes disagree with this module.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field

from consumers.errors import ConfigError

_HOUR_MS = 3_600_000
_DAY_MS = 24 * _HOUR_MS


@dataclass(frozen=True)
class Retention:
    key: str
    store: str
    value: int
    unit: str  # "days" | "hours"
    enforced_by: str
    env: str | None = None
    parameter: str | None = None  # "<template>:<Parameter>"
    #: "<template>:<LogicalId>" with a fixed value: a log group's RetentionInDays, a bucket's ExpirationInDays
    literals: tuple[str, ...] = ()
    minimum: int = 1

    @property
    def unit_ms(self) -> int:
        return _HOUR_MS if self.unit == "hours" else _DAY_MS

    def text(self, value: int | None = None) -> str:
        v = self.value if value is None else value
        return f"{v} {self.unit if v != 1 else self.unit[:-1]}"


def _env(key: str) -> str:
    return f"CCSTREAM_RETENTION_{key.upper()}"


def _ddb(
    key: str, store: str, value: int, after: str, parameter: str, unit: str = "days", minimum: int = 1
) -> Retention:
    return Retention(
        key, store, value, unit, f"DynamoDB TTL, {after}", _env(key), f"streaming.yaml:{parameter}", (), minimum
    )


RETENTIONS: tuple[Retention, ...] = (
    _ddb(
        "rows_1m",
        "1-minute aggregate rows (W1M; U1M capped by user rows)",
        2,
        "after the window ends",
        "Rows1mRetentionDays",
    ),
    _ddb(
        "rows_1h",
        "1-hour aggregate rows (W1H; U1H capped by user rows)",
        35,
        "after the window ends",
        "Rows1hRetentionDays",
    ),
    _ddb(
        "rows_1d",
        "1-day aggregate rows (W1D; U1D capped by user rows)",
        400,
        "after the window ends",
        "Rows1dRetentionDays",
    ),
    _ddb(
        "user_rows",
        "per-user rows (U1M, U1H, U1D): at most this, and never longer than their size's rows",
        400,
        "after the window ends",
        "UserRowRetentionDays",
    ),
    _ddb("user_days", "user-days (D items, UserActivityIndex)", 400, "after the day", "UserDayRetentionDays"),
    _ddb(
        "dedup_markers",
        "dedup markers (batch fingerprints; no personal data)",
        48,
        "after the claim",
        "DedupMarkerRetentionHours",
        "hours",
        25,
    ),
    _ddb(
        "snapshots",
        "shard snapshots (watermark and counters; no personal data)",
        7,
        "after the checkpoint",
        "SnapshotRetentionDays",
    ),
    Retention(
        "budget_alerts",
        "budget alert marks (`BUDGET#<month>` items; a user budget names the user as stored)",
        400,
        "days",
        "DynamoDB TTL, after the month ends",
    ),
    Retention(
        "budget_status",
        "budget status items (`BUDGET#<month>` `STATUS#…`, the budget status endpoint's answers; a user's names them)",
        35,
        "days",
        "DynamoDB TTL, after the month ends",
    ),
    Retention(
        "runaway_episodes",
        "runaway alert episodes (`RUNAWAY#<scope>#<subject>`; a developer's names them as stored)",
        30,
        "days",
        "DynamoDB TTL, after the alert",
    ),
    Retention(
        "lake",
        "lake objects (Parquet, `metrics/`), Glacier after `LakeGlacierDays` (90)",
        730,
        "days",
        "S3 lifecycle (old versions 7 days)",
        parameter="analytics.yaml:LakeExpirationDays",
        minimum=2,
    ),
    Retention(
        "lake_errors",
        "lake writer / Firehose dead letters (`errors/` in the lake bucket)",
        30,
        "days",
        "S3 lifecycle (old versions too)",
        parameter="analytics.yaml:LakeErrorsExpirationDays",
    ),
    Retention(
        "dead_letters",
        "aggregator dead letters (dead-letter bucket)",
        30,
        "days",
        "S3 lifecycle (old versions too)",
        parameter="streaming.yaml:DeadLetterExpiryDays",
    ),
    Retention(
        "athena_results",
        "Athena query results",
        7,
        "days",
        "S3 lifecycle (old versions 1 day)",
        parameter="analytics.yaml:QueryResultsDays",
    ),
    Retention(
        "monthly_reports",
        "monthly spend reports for finance (per user, team, cost centre, model)",
        2557,
        "days",
        "S3 lifecycle (old versions 30 days)",
        literals=("dashboard.yaml:ReportBucket",),
    ),
    Retention(
        "access_logs",
        "load balancer access logs (client addresses and request lines)",
        90,
        "days",
        "S3 lifecycle (old versions 7 days)",
        literals=("monitoring.yaml:AccessLogBucket",),
    ),
    Retention(
        "metrics_log_group",
        "EMF metric lines, `/aws/claude-code/metrics`",
        30,
        "days",
        "log group retention",
        parameter="streaming.yaml:LogRetentionDays",
    ),
    Retention(
        "events_log_group",
        "Claude Code events, `/aws/claude-code/events`",
        30,
        "days",
        "log group retention",
        parameter="streaming.yaml:EventsLogRetentionDays",
    ),
    Retention(
        "stream",
        "Kinesis records",
        24,
        "hours",
        "stream retention",
        parameter="streaming.yaml:StreamRetentionHours",
        minimum=24,
    ),
    Retention(
        "service_logs",
        "the services' own logs (consumer, collector, Lambdas, Firehose errors; identities only as stored)",
        30,
        "days",
        "log group retention",
        literals=(
            "streaming.yaml:ConsumerLogGroup",
            "monitoring.yaml:CollectorLogGroup",
            "analytics.yaml:DeliveryLogGroup",
            "analytics.yaml:TransformLogGroup",
            "dashboard.yaml:WidgetLogGroup",
            "dashboard.yaml:BudgetLogGroup",
            "dashboard.yaml:StatusLogGroup",
            "dashboard.yaml:SpendJobLogGroup",
        ),
    ),
    Retention(
        "flow_logs",
        "VPC flow logs (addresses and ports, no payloads)",
        30,
        "days",
        "log group retention",
        parameter="networking.yaml:FlowLogRetentionDays",
    ),
)
BY_KEY: dict[str, Retention] = {r.key: r for r in RETENTIONS}


def retention(key: str) -> Retention:
    return BY_KEY[key]


@dataclass(frozen=True)
class RetentionSettings:
    """The retention values a process runs with (defaults, or overridden by the entries' environment variables)."""

    values: Mapping[str, int] = field(default_factory=lambda: {r.key: r.value for r in RETENTIONS})

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RetentionSettings:
        source = env if env is not None else os.environ
        values = {r.key: r.value for r in RETENTIONS}
        for r in RETENTIONS:
            text = source.get(r.env) if r.env else None
            if not text:
                continue
            try:
                value = int(text)
            except ValueError:
                raise ConfigError(f"{r.env}={text!r}: expected a whole number of {r.unit}") from None
            if value < r.minimum:
                raise ConfigError(f"{r.env}={value}: {r.store} must be kept at least {r.text(r.minimum)}")
            values[r.key] = value
        return cls(values)

    def ms(self, key: str) -> int:
        return self.values[key] * BY_KEY[key].unit_ms

    def row_ttl_ms(self, kind: str, size: str) -> int:
        """How long after its window ends a W or U row of a window size is kept."""
        size_ms = self.ms(f"rows_{size}")
        return min(size_ms, self.ms("user_rows")) if kind == "U" else size_ms


def markdown_table(settings: RetentionSettings | None = None) -> str:
    """The README table (between `<!-- retention:begin -->` and `<!-- retention:end -->`)."""
    current = settings or RetentionSettings()
    lines = ["| store | kept | enforced by | change it with |", "|---|---|---|---|"]
    for r in RETENTIONS:
        how = []
        if r.parameter:
            how.append("`{}` parameter `{}`".format(*r.parameter.split(":")))
        if r.env:
            how.append(f"env `{r.env}` ({r.unit})")
        if r.literals:
            how.append("fixed in " + ", ".join("`{}` {}".format(*x.split(":")) for x in r.literals))
        lines.append(
            f"| {r.store} | {r.text(current.values[r.key])} | {r.enforced_by} | {'; '.join(how) or 'fixed in code'} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(markdown_table() + "\n")
