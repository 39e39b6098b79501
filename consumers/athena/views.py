"""The de-duplicating view `metrics` over the Parquet table `metrics_raw`.

Delivery is at least once (CloudWatch Logs retries, KCL replays after a crash, Firehose retries), so the same data
point can be in the lake twice. The view keeps one row per (`event_key`, `point_index`): `event_key` hashes the
log event's group, stream, id, timestamp and message, so a redelivery has the same key and two different events
never do (moto's event ids repeat after a restart; the hash does not). A redelivered event has the same event time,
hence the same partition; the partition columns are in the window's PARTITION BY so that Athena still prunes
partitions through the view.

On Athena the view is created by `ccstream athena setup` (CREATE OR REPLACE VIEW, idempotent); locally the DuckDB
engine creates the same view (translated) in its in-memory database.
"""

from __future__ import annotations

from schemas.lake import DATA_COLUMN_NAMES, PARTITION_COLUMN_NAMES, RAW_TABLE, VIEW

_COLUMNS = (*DATA_COLUMN_NAMES, *PARTITION_COLUMN_NAMES)


def dedup_select(raw_table: str = RAW_TABLE) -> str:
    """The view's SELECT (Trino)."""
    cols = ", ".join(f'"{c}"' for c in _COLUMNS)
    keys = ", ".join(f'"{c}"' for c in (*PARTITION_COLUMN_NAMES, "event_key", "point_index"))
    return (
        f"SELECT {cols}\n"
        f"FROM (\n"
        f"    SELECT {cols},\n"
        f'        row_number() OVER (PARTITION BY {keys} ORDER BY "log_event_id") AS dedup_rank\n'
        f"    FROM {raw_table}\n"
        f") AS deduplicated\n"
        f"WHERE dedup_rank = 1"
    )


def create_view_sql(view: str = VIEW, raw_table: str = RAW_TABLE) -> str:
    """`CREATE OR REPLACE VIEW metrics AS ...` (Trino)."""
    return f"CREATE OR REPLACE VIEW {view} AS\n{dedup_select(raw_table)}"


def ensure_view(engine: object) -> str:
    """Create or replace the view on an engine that has a `run(sql)` (Athena). Returns the SQL it ran."""
    sql = create_view_sql()
    engine.run(sql)  # type: ignore[attr-defined]
    return sql
