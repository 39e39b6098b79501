"""The views over the Parquet table `metrics_raw`: every metric de-duplicated, the seed's `metrics`, one per metric.

* `metrics_all` — one row per data point of every metric (unknown new ones too). Delivery is at least once
  (CloudWatch Logs retries, KCL replays after a crash, Firehose retries), so the same data point can be in the
  lake twice; the view keeps one row per (`event_key`, `point_index`): `event_key` hashes the log event's group,
  stream, id, timestamp and message, so a redelivery has the same key and two different events never do (moto's
  event ids repeat after a restart; the hash does not). A redelivered event has the same event time, hence the
  same partition; the partition columns are in the window's PARTITION BY so that Athena still prunes partitions
  through the view.
* `metrics` — the seed's relation: token usage only (`claude_code.token.usage`), because the seed's Firehose kept
  only token-usage lines. The seed's three queries, pasted unchanged, therefore return exactly the seed's answer
  (no NULL-total rows for other metrics; sessions, days and users counted from token rows, as there).
* `metrics_<name>` — one per catalogue metric, e.g. `metrics_cost_usage` for `claude_code.cost.usage`,
  `metrics_code_edit_tool_decision`; same columns.

On Athena the views are created by `ccstream athena setup` (CREATE OR REPLACE VIEW, idempotent, `metrics_all`
first since the others read it); locally the DuckDB engine creates the same views (translated) in memory.
"""

from __future__ import annotations

from schemas.catalogue import METRICS, TOKEN_USAGE
from schemas.lake import DATA_COLUMN_NAMES, PARTITION_COLUMN_NAMES, RAW_TABLE, VIEW, column_name

_COLUMNS = (*DATA_COLUMN_NAMES, *PARTITION_COLUMN_NAMES)

#: Every metric, de-duplicated.
ALL_VIEW = "metrics_all"
#: The seed's relation (token usage only); the name is `schemas.lake.VIEW`.
SEED_VIEW = VIEW
#: The metric the seed's relation holds.
SEED_METRIC = TOKEN_USAGE


def metric_view(metric: str) -> str:
    """`claude_code.cost.usage` → `metrics_cost_usage`."""
    return "metrics_" + column_name(metric.removeprefix("claude_code."))


#: One view per catalogue metric, by metric name.
METRIC_VIEWS = {metric: metric_view(metric) for metric in sorted(METRICS)}


def deduplicated_select(columns: tuple[str, ...], identity: tuple[str, ...], raw_table: str) -> str:
    """One row per `identity` of `raw_table` (Trino; DuckDB reads it as is): the partition columns lead the window's
    PARTITION BY, so Athena still prunes partitions through a view built on it."""
    cols = ", ".join(f'"{c}"' for c in columns)
    keys = ", ".join(f'"{c}"' for c in (*PARTITION_COLUMN_NAMES, *identity))
    return (
        f"SELECT {cols}\n"
        f"FROM (\n"
        f"    SELECT {cols},\n"
        f'        row_number() OVER (PARTITION BY {keys} ORDER BY "log_event_id") AS dedup_rank\n'
        f"    FROM {raw_table}\n"
        f") AS deduplicated\n"
        f"WHERE dedup_rank = 1"
    )


def dedup_select(raw_table: str = RAW_TABLE) -> str:
    """`metrics_all`'s SELECT (Trino): one row per data point."""
    return deduplicated_select(_COLUMNS, ("event_key", "point_index"), raw_table)


def one_metric_select(metric: str, source: str = ALL_VIEW) -> str:
    """The rows of one metric from `source` (Trino)."""
    cols = ", ".join(f'"{c}"' for c in _COLUMNS)
    quoted = metric.replace("'", "''")
    return f"SELECT {cols}\nFROM {source}\nWHERE metric = '{quoted}'"


def view_selects(raw_table: str = RAW_TABLE) -> dict[str, str]:
    """Every view's SELECT (Trino) by view name, in creation order (`metrics_all` first)."""
    views = {ALL_VIEW: dedup_select(raw_table), SEED_VIEW: one_metric_select(SEED_METRIC)}
    views |= {name: one_metric_select(metric) for metric, name in METRIC_VIEWS.items()}
    return views


def create_view_sql(view: str, select: str) -> str:
    """`CREATE OR REPLACE VIEW <view> AS ...` (Trino)."""
    return f"CREATE OR REPLACE VIEW {view} AS\n{select}"


def ensure_view(engine: object) -> str:
    """Create or replace every view on an engine that has a `run(sql)` (Athena). Returns the SQL it ran."""
    from consumers.athena.events_views import create_events_view_sql

    statements = [create_view_sql(view, select) for view, select in view_selects().items()]
    statements.append(create_events_view_sql())  # the events table's view (issue 16)
    for sql in statements:
        engine.run(sql)  # type: ignore[attr-defined]
    return ";\n".join(statements)
