"""Names and tunables shared by every command. One place, no globals: build a `Settings` and pass it on."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from consumers.retention import RetentionSettings

LOG_GROUP = "/aws/claude-code/metrics"
EVENTS_LOG_GROUP = "/aws/claude-code/events"


@dataclass(frozen=True)
class Names:
    """Resource names of one deployment (prefix lets several live in one account)."""

    prefix: str = "claude-code"
    log_group: str = LOG_GROUP
    table: str = "ClaudeCodeMetrics"
    #: The events log group; empty: `/aws/claude-code/events` next to the default metrics group, else
    #: `<metrics log group>-events` (what the collector helpers of the tests use).
    events_log_group_name: str = ""

    @property
    def events_log_group(self) -> str:
        if self.events_log_group_name:
            return self.events_log_group_name
        return EVENTS_LOG_GROUP if self.log_group == LOG_GROUP else f"{self.log_group}-events"

    @property
    def events_stream(self) -> str:
        """The second stream: events never share a stream (nor a consumer) with the metrics (README § Events)."""
        return f"{self.prefix}-events"

    @property
    def events_subscription_filter(self) -> str:
        return f"{self.prefix}-events-to-kinesis"

    @property
    def events_app(self) -> str:
        """KCL application (and lease table) of the events consumer."""
        return f"{self.prefix}-events"

    @property
    def stream(self) -> str:
        return f"{self.prefix}-metrics"

    @property
    def subscription_filter(self) -> str:
        return f"{self.prefix}-metrics-to-kinesis"

    @property
    def consumer_app(self) -> str:
        """KCL application name; also the name of its lease table."""
        return f"{self.prefix}-aggregator"

    @property
    def lake_app(self) -> str:
        return f"{self.prefix}-lake-writer"

    def deadletter_bucket(self, account: str, region: str) -> str:
        return f"{self.prefix}-deadletter-{account}-{region}"

    def lake_bucket(self, account: str, region: str) -> str:
        return f"{self.prefix}-lake-{account}-{region}"

    @classmethod
    def from_env(cls) -> Names:
        return cls(
            prefix=os.environ.get("CCSTREAM_PREFIX", "claude-code"),
            log_group=os.environ.get("CCSTREAM_LOG_GROUP", LOG_GROUP),
            table=os.environ.get("CCSTREAM_TABLE", "ClaudeCodeMetrics"),
            events_log_group_name=os.environ.get("CCSTREAM_EVENTS_LOG_GROUP", ""),
        )


@dataclass(frozen=True)
class Tunables:
    """Consumer behaviour. Times are milliseconds."""

    allowed_lateness_ms: int = 48 * 3600 * 1000
    max_future_ms: int = 2 * 3600 * 1000
    flush_interval_ms: int = 1000
    #: Per-user rows (16 buckets per window and shard, the biggest items) are the bulk of all writes.
    user_flush_interval_ms: int = 30_000
    user_buckets: int = 16
    #: Window rows per (window, shard) are split by signature hash into this many items, so a busy day's row stays
    #: far below DynamoDB's 400 KB item limit. A changed count applies to windows without rows yet (`ShardPipeline`).
    window_buckets: dict[str, int] = field(default_factory=lambda: {"1m": 1, "1h": 2, "1d": 4})
    dedup_ttl_ms: int = 48 * 3600 * 1000
    window_sizes: tuple[str, ...] = field(default=("1m", "1h", "1d"))
    #: Rows of these window sizes are written at most this often. An open row is rewritten whole on every flush
    #: while it is dirty, and 1h/1d rows are the big ones; the 1-minute rows carry the fresh data to the second.
    #: A row's interval is the larger of its kind's (W: `flush_interval_ms`, U: `user_flush_interval_ms`) and its
    #: size's entry here. Larger intervals also hold the KCL checkpoint back that long (more replay after a crash,
    #: still exact).
    size_flush_interval_ms: dict[str, int] = field(default_factory=lambda: {"1h": 60_000, "1d": 300_000})
    #: A shard with no new records for this long writes every open row and checkpoints at its last record
    #: (detected on empty `process_records` calls; 0 = never). See `kcl/processor.py`.
    idle_flush_ms: int = 5_000
    #: Distinct label signatures per window and shard (split evenly over its buckets); later ones are added to
    #: the `__other__` group, so totals stay exact. 10,000 developers in ~100 teams × models × token types × tools
    #: make ≈ 5,000 per day; the review's 26,000 departments in a minute fold past this.
    max_groups_per_window: int = 20_000
    #: Session ids per user and window kept exactly; past this the user's sessions are an HLL sketch (±1.6 %),
    #: marked approximate. A person opens tens per day; a CI bot running `claude -p` per build, thousands.
    max_sessions_per_user: int = 1_000
    #: How long rows, markers and snapshots are kept (DynamoDB TTL; `consumers/retention.py`).
    retention: RetentionSettings = field(default_factory=RetentionSettings)
