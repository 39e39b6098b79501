"""Hand-made measured figures for the cost model tests (round numbers, so expected bills are easy to compute)."""

from __future__ import annotations

from consumers.cost.measured import (
    EventFigures,
    LineVariant,
    Measured,
    MonthProfile,
    PerPoint,
    StoredRows,
    WriteFigures,
)

PER_POINT = PerPoint(
    log_events=1.0,
    emf_bytes=998.0,  # + 26 B per event = 1,024 B per point
    kinesis_bytes=64.0,
    kinesis_records=0.002,
    kinesis_put_units=0.004,
    firehose_billed_bytes=80.0,
    lake_json_bytes=1000.0,
    parquet_bytes=100.0,
    transform_cpu_us=40.0,
)

#: Events: 10 per active minute, 1,000 active minutes per user-month = 10,000 events per user-month; 998 B lines
#: (+ 26 B per log event = 1,024 B), twice that untrimmed.
EVENTS = EventFigures(
    measured_on="2026-12-05",
    command="hand-made",
    mix={"api_request": 6.0, "tool_result": 4.0},
    line_bytes=998.0,
    untrimmed_line_bytes=1998.0,
    kinesis_bytes=50.0,
    untrimmed_kinesis_bytes=100.0,
    kinesis_records=0.01,
    kinesis_put_units=0.01,
    write_requests_per_1000=5.0,
    write_units_per_1000=50.0,
    lake_puts_per_1000=0.1,
    parquet_bytes=80.0,
    active_minutes_per_user_month=1000.0,
    peak_active_share=0.2,
)

#: The collector settings side by side (shipped first): the model scales the per-point figures by these ratios.
VARIANTS = [
    LineVariant(
        trim=True, extraction=True, emf_bytes=998.0, log_events=1.0, kinesis_bytes=64.0, cloudwatch_metrics=100
    ),
    LineVariant(
        trim=False, extraction=True, emf_bytes=1198.0, log_events=1.0, kinesis_bytes=72.0, cloudwatch_metrics=100
    ),
    LineVariant(trim=True, extraction=False, emf_bytes=698.0, log_events=1.0, kinesis_bytes=48.0, cloudwatch_metrics=0),
    LineVariant(
        trim=False, extraction=False, emf_bytes=898.0, log_events=1.0, kinesis_bytes=56.0, cloudwatch_metrics=0
    ),
]


def month(users: int, points_per_user_month: float = 100_000.0, units: float = 1000.0) -> MonthProfile:
    return MonthProfile(
        users=users,
        sampled_hours=["Wed 15:00"],
        points_per_user_month=points_per_user_month,
        write_requests_per_1000_points=20.0,
        write_units_per_1000_points=units,
        read_units_per_1000_points=1.0,
        peak_points_per_second=users / 10,
        peak_kinesis_bytes_per_second=users * 6.4,
    )


def measured(months: list[MonthProfile] | None = None, events: EventFigures | None = EVENTS) -> Measured:
    return Measured(
        measured_on="2026-11-23",
        command="hand-made",
        machine={},
        settings={},
        per_point=PER_POINT,
        scenarios=[
            WriteFigures(
                scenario="all-active",
                users=1000,
                shards=2,
                simulated_minutes=10,
                points=100_000,
                exporting_users_per_minute=1000,
                write_requests={"rows": 900, "dedup": 80, "snapshot": 20},
                write_units={"rows": 90_000, "dedup": 80, "snapshot": 20},
                read_units=10.0,
                dead_letter_puts=0,
                row_write_requests={"W1m": 900},
                row_write_units={"W1m": 90_000},
            )
        ],
        months=months if months is not None else [month(1000), month(10_000, units=2000.0)],
        stored_rows=[
            StoredRows(
                users=1000,
                minutes_covered=10,
                bytes_per_window={"W1m": 1000, "W1h": 2000, "W1d": 2000, "U1m": 1000, "U1h": 1000, "U1d": 1000},
                bytes_per_user_entry=100.0,
            )
        ],
        cloudwatch_metric_series={"1000": 100, "10000": 150},
        published_metric_series={"1000": 200, "10000": 200},
        put_metric_data_calls_per_shard_minute=1.0,
        line_variants=VARIANTS,
        variants_measured_on={"users": 1000},
        otlp_bytes_per_point=900.0,
        events=events,
    )
