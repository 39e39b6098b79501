"""The events table's relations: `events_raw` (every Parquet row under `events/`) and the view `events` (one row per
event: delivery is at least once, so rows are de-duplicated on `event_key` within the event's partition, as
`metrics_all` does for data points). On Athena `ccstream athena setup` creates the view; the DuckDB engine creates
both relations over the local lake mirror (`duckdb_engine.py`, as it does `metrics_raw` and its views)."""

from __future__ import annotations

from consumers.athena.views import deduplicated_select
from schemas.events_lake import EVENT_COLUMNS, EVENTS_RAW_TABLE, EVENTS_VIEW
from schemas.lake import PARTITION_COLUMN_NAMES

_COLUMNS = (*(c.name for c in EVENT_COLUMNS), *PARTITION_COLUMN_NAMES)


def events_select(raw_table: str = EVENTS_RAW_TABLE) -> str:
    """The `events` view's SELECT (Trino; DuckDB reads it as is): one row per event."""
    return deduplicated_select(_COLUMNS, ("event_key",), raw_table)


def create_events_view_sql() -> str:
    return f"CREATE OR REPLACE VIEW {EVENTS_VIEW} AS\n{events_select()}"
