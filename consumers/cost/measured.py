"""Figures measured by the benchmarks, kept as data (`consumers/cost/measured.json`) with the date and command.

`python -m benchmarks.write_amplification` writes the file: bytes per data point at every stage (EMF line, Kinesis
record, Firehose billing, lake JSON, Parquet), DynamoDB writes per data point under realistic load, stored row
sizes and the number of CloudWatch metric series. The cost model (`consumers/cost/model.py`) reads only this file
and the price table; it never guesses a figure that was measured.
"""

from __future__ import annotations

import math
from pathlib import Path

import msgspec

from consumers.cost.data_files import load_data_file
from consumers.errors import ConfigError

MEASURED_FILE = "measured.json"
HOW_TO_MEASURE = "run `python -m benchmarks.write_amplification --write-measured` from the repository root"
HOW_TO_MEASURE_EVENTS = "run `python -m benchmarks.events_bill --write-measured` from the repository root"


class PerPoint(msgspec.Struct, frozen=True):
    """Bytes and units per data point (one metric value of one EMF line)."""

    log_events: float  # CloudWatch log events (EMF lines) per data point
    emf_bytes: float  # EMF message bytes per data point (UTF-8)
    kinesis_bytes: float  # gzip'd subscription record bytes per data point
    kinesis_records: float  # subscription records per data point
    kinesis_put_units: float  # 25 KB PUT payload units per data point
    firehose_billed_bytes: float  # Kinesis record bytes rounded up to 5 KB per record, per data point
    lake_json_bytes: float  # the transform Lambda's JSON rows per data point (what Firehose converts)
    parquet_bytes: float  # Snappy Parquet per data point
    transform_cpu_us: float  # CPU time of the lake transform per data point (Lambda duration)


class LineVariant(msgspec.Struct, frozen=True):
    """What one collector setting writes per data point: the collector's lines for the same simulated OTLP
    (the model `consumers.generate.emf_writer`, proven line for line against the real collector)."""

    trim: bool  # collector/config.yaml's transform/trim block in the metrics pipeline
    extraction: bool  # awsemf metric declarations (False: no `_aws`, no CloudWatch metrics from the collector)
    emf_bytes: float  # EMF message bytes per data point (UTF-8)
    log_events: float  # log events per data point
    kinesis_bytes: float  # gzip'd subscription record bytes per data point
    cloudwatch_metrics: int  # distinct CloudWatch metrics the lines declare (0 without extraction)


class WriteFigures(msgspec.Struct, frozen=True):
    """DynamoDB (and S3 dead-letter) writes of one simulated run through the real pipeline."""

    scenario: str
    users: int
    shards: int
    simulated_minutes: float
    points: int
    exporting_users_per_minute: float
    write_requests: dict[str, int]  # rows, dedup, snapshot
    write_units: dict[str, int]
    read_units: float
    dead_letter_puts: int
    row_write_requests: dict[str, int]  # by row type W1m … U1d
    row_write_units: dict[str, int]

    @property
    def total_requests(self) -> int:
        return sum(self.write_requests.values())

    @property
    def total_units(self) -> int:
        return sum(self.write_units.values())

    def requests_per_1000_points(self) -> float:
        return 1000 * self.total_requests / self.points if self.points else math.inf

    def units_per_1000_points(self) -> float:
        return 1000 * self.total_units / self.points if self.points else math.inf


class MonthProfile(msgspec.Struct, frozen=True):
    """A simulated week (sampled hours, weekday and weekend) scaled to a month, for one user count."""

    users: int
    sampled_hours: list[str]
    points_per_user_month: float
    write_requests_per_1000_points: float
    write_units_per_1000_points: float
    read_units_per_1000_points: float
    peak_points_per_second: float  # busiest sampled hour, all users
    peak_kinesis_bytes_per_second: float
    #: Share of all users with new data within one sampled span (`month_minutes_per_sample`, ≈ a rollup interval),
    #: weighted over the week: the user-days a rollup finds changed. 0 = not measured.
    changed_user_share: float = 0.0


class StoredRows(msgspec.Struct, frozen=True):
    """Bytes of the partial rows of one window (every shard and bucket), base table, at the end of a run."""

    users: int
    minutes_covered: float
    bytes_per_window: dict[str, int]  # W1m, W1h, W1d, U1m, U1h, U1d
    bytes_per_user_entry: float  # in U rows


class EventFigures(msgspec.Struct, frozen=True):
    """Claude Code events (OTLP logs) per event, measured by `python -m benchmarks.events_bill`: the exporter lines
    the real collector writes (with and without its `transform/events_trim`), what they make downstream, and how
    many minutes a simulated developer works in a month."""

    measured_on: str
    command: str
    #: The event mix the per-event figures are weighted with (`benchmarks.events.RATES`), events per active minute.
    mix: dict[str, float]
    line_bytes: float  # exporter line bytes per event (UTF-8), shipped collector (trim on)
    untrimmed_line_bytes: float  # the same events without transform/events_trim
    kinesis_bytes: float  # gzip'd subscription record bytes per event (shipped lines)
    untrimmed_kinesis_bytes: float
    kinesis_records: float  # subscription records per event
    kinesis_put_units: float  # 25 KB PUT payload units per event
    write_requests_per_1000: float  # DynamoDB requests per 1,000 events (event rows, dedup markers, snapshots)
    write_units_per_1000: float
    lake_puts_per_1000: float  # S3 PUTs of the events table per 1,000 events
    parquet_bytes: float  # per event
    #: Minutes a simulated developer spends in a conversation per month (the metrics simulator's CLI exports over
    #: the sampled week of the month profile); the busiest sampled minute's share of developers exporting.
    active_minutes_per_user_month: float
    peak_active_share: float
    #: Event name → [shipped, untrimmed] line bytes through the real collector (the real CLI's capture).
    by_event: dict[str, list[float]] = msgspec.field(default_factory=dict)
    simulated_users: int = 0


class Measured(msgspec.Struct, frozen=True):
    measured_on: str
    command: str
    machine: dict[str, object]
    settings: dict[str, object]
    per_point: PerPoint
    scenarios: list[WriteFigures]
    months: list[MonthProfile]
    stored_rows: list[StoredRows]
    cloudwatch_metric_series: dict[str, int]  # users (as a string) → distinct EMF series the collector creates
    #: users (as a string) → distinct metrics the consumer publishes for closed 1-minute windows
    published_metric_series: dict[str, int] = msgspec.field(default_factory=dict)
    #: PutMetricData requests per shard per minute (one set per closed 1-minute window of each shard)
    put_metric_data_calls_per_shard_minute: float = 0.0
    #: The collector settings measured side by side on one simulated peak (`variants_measured_on` users).
    line_variants: list[LineVariant] = msgspec.field(default_factory=list)
    variants_measured_on: dict[str, object] = msgspec.field(default_factory=dict)
    #: Bytes per data point the OTLP → CloudWatch path would ingest: metric name, every label and resource
    #: attribute (keys and values), timestamp and value, as the CloudWatch OTel pricing page counts them.
    otlp_bytes_per_point: float = 0.0
    #: Events (issue 16): None until `python -m benchmarks.events_bill --write-measured` has run.
    events: EventFigures | None = None

    def variant(self, trim: bool, extraction: bool) -> LineVariant | None:
        return next((v for v in self.line_variants if (v.trim, v.extraction) == (trim, extraction)), None)

    def month_for(self, users: int) -> MonthProfile:
        """The profile measured at the user count nearest to `users` (by ratio)."""
        if not self.months:
            raise ConfigError(f"measured.json has no month profile: {HOW_TO_MEASURE}")
        return min(self.months, key=lambda m: abs(math.log(max(users, 1) / m.users)))

    def rows_for(self, users: int) -> StoredRows:
        if not self.stored_rows:
            raise ConfigError(f"measured.json has no stored row sizes: {HOW_TO_MEASURE}")
        return min(self.stored_rows, key=lambda r: abs(math.log(max(users, 1) / r.users)))

    def metric_series_for(self, users: int) -> int:
        return _nearest(self.cloudwatch_metric_series, users)

    def published_series_for(self, users: int) -> int:
        return _nearest(self.published_metric_series, users)


def _nearest(by_users: dict[str, int], users: int) -> int:
    if not by_users:
        return 0
    return by_users[min(by_users, key=lambda u: abs(math.log(max(users, 1) / int(u))))]


_decoder = msgspec.json.Decoder(Measured)


def load_measured(path: Path | None = None) -> Measured:
    """The measured figures shipped with ccstream (or from `path`)."""
    return load_data_file(_decoder, "consumers.cost", MEASURED_FILE, path, HOW_TO_MEASURE)


def save_measured(measured: Measured, path: Path) -> None:
    path.write_bytes(msgspec.json.format(msgspec.json.encode(measured), indent=2) + b"\n")
