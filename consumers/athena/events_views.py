"""The events table's relations: `events_raw` (every Parquet row under `events/`) and the view `events` (one row per
event: delivery is at least once, so rows are de-duplicated on `event_key` within the event's partition, as
`metrics_all` does for data points). On Athena `ccstream athena setup` creates the view; the DuckDB engine creates
both relations over the local lake mirror (`create_event_relations`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from schemas.events_lake import EVENT_COLUMNS, EVENTS_PREFIX, EVENTS_RAW_TABLE, EVENTS_VIEW
from schemas.lake import PARTITION_COLUMN_NAMES, PARTITION_COLUMNS

_COLUMNS = (*(c.name for c in EVENT_COLUMNS), *PARTITION_COLUMN_NAMES)
_DUCK_TYPES = {"int64": "BIGINT", "int32": "INTEGER", "string": "VARCHAR", "bool": "BOOLEAN"}


def events_select(raw_table: str = EVENTS_RAW_TABLE) -> str:
    """The `events` view's SELECT (Trino; DuckDB reads it as is)."""
    cols = ", ".join(f'"{c}"' for c in _COLUMNS)
    keys = ", ".join(f'"{c}"' for c in (*PARTITION_COLUMN_NAMES, "event_key"))
    return (
        f"SELECT {cols}\n"
        f"FROM (\n"
        f"    SELECT {cols},\n"
        f'        row_number() OVER (PARTITION BY {keys} ORDER BY "log_event_id") AS dedup_rank\n'
        f"    FROM {raw_table}\n"
        f") AS deduplicated\n"
        f"WHERE dedup_rank = 1"
    )


def create_events_view_sql() -> str:
    return f"CREATE OR REPLACE VIEW {EVENTS_VIEW} AS\n{events_select()}"


def create_event_relations(con: Any, root: Path) -> None:
    """`events_raw` over `<root>/events/year=…/…/*.parquet` (NULL columns when there are no files) and `events`."""
    files = sorted((root / EVENTS_PREFIX).glob("year=*/month=*/day=*/hour=*/*.parquet"))
    if files:
        glob = str(root / EVENTS_PREFIX / "*" / "*" / "*" / "*" / "*.parquet").replace("'", "''")
        hive = ", ".join(f"'{c.name}': INTEGER" for c in PARTITION_COLUMNS)
        source = f"read_parquet('{glob}', hive_partitioning = true, union_by_name = true, hive_types = {{{hive}}})"
        present = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    else:
        source, present = "(SELECT 1 AS no_files WHERE false)", set()
    wanted = [(c.name, _DUCK_TYPES[c.arrow_type]) for c in EVENT_COLUMNS]
    wanted += [(c.name, "INTEGER") for c in PARTITION_COLUMNS]
    select = ", ".join(
        f'CAST("{name}" AS {typ}) AS "{name}"' if name in present else f'CAST(NULL AS {typ}) AS "{name}"'
        for name, typ in wanted
    )
    con.execute(f"CREATE VIEW {EVENTS_RAW_TABLE} AS SELECT {select} FROM {source}")
    con.execute(f"CREATE VIEW {EVENTS_VIEW} AS {events_select()}")
