"""Run Athena's SQL locally: DuckDB over a folder of lake Parquet files, Trino SQL translated by sqlglot.

The in-memory database holds the same relations as the Glue catalogue on AWS: `metrics_raw` (every Parquet row,
with `year`/`month`/`day`/`hour` read from the Hive-style paths as INTEGER) and the views of `views.py`
(`metrics_all`, the seed's token-only `metrics`, one `metrics_<name>` per metric), their Athena SELECTs
translated; likewise `events_raw` under `events/` and its view `events`. The session time zone is UTC, as on
Athena, so `HOUR(...)` and `DATE(...)` agree. Columns missing from every file (an old lake after a schema change)
read as NULL.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import sqlglot
from sqlglot.errors import SqlglotError

from consumers.athena.events_views import events_select
from consumers.athena.result import QueryError, QueryResult
from consumers.athena.views import view_selects
from schemas.events_lake import EVENT_COLUMNS, EVENTS_PREFIX, EVENTS_RAW_TABLE, EVENTS_VIEW
from schemas.lake import DATA_COLUMNS, DATA_PREFIX, PARTITION_COLUMNS, RAW_TABLE, LakeColumn

_DUCK_TYPES = {
    "int64": "BIGINT",
    "int32": "INTEGER",
    "float64": "DOUBLE",
    "string": "VARCHAR",
    "map<string,string>": "MAP(VARCHAR, VARCHAR)",
    "bool": "BOOLEAN",
}


def to_duckdb(sql: str) -> list[str]:
    """Trino SQL → DuckDB statements. Raises QueryError when sqlglot cannot parse it."""
    try:
        return [s for s in sqlglot.transpile(sql, read="trino", write="duckdb") if s.strip()]
    except SqlglotError as exc:
        raise QueryError(f"cannot parse the query as Athena (Trino) SQL: {exc}") from exc


class DuckDbEngine:
    """DuckDB over `<root>/metrics/year=…/…/*.parquet` (a lake mirror, see `consumers.lake.cache`)."""

    name = "duckdb"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.con = duckdb.connect(":memory:")
        self.con.execute("SET TimeZone = 'UTC'")
        self._create_views()

    def _create_views(self) -> None:
        self._create_raw_relation(RAW_TABLE, DATA_PREFIX, [*DATA_COLUMNS, *PARTITION_COLUMNS])
        for view, select in view_selects(RAW_TABLE).items():
            (view_sql,) = to_duckdb(select)
            self.con.execute(f"CREATE VIEW {view} AS {view_sql}")
        # events_raw and the events view (issue 16); the view's SQL reads as DuckDB untranslated
        self._create_raw_relation(EVENTS_RAW_TABLE, EVENTS_PREFIX, [*EVENT_COLUMNS, *PARTITION_COLUMNS])
        self.con.execute(f"CREATE VIEW {EVENTS_VIEW} AS {events_select()}")

    def _create_raw_relation(self, table: str, prefix: str, wanted: list[LakeColumn]) -> None:
        """`table` over `<root>/<prefix>year=…/…/*.parquet`, every wanted column cast to its type (NULL when no
        file has it: an old lake after a schema change, or no files at all)."""
        files = sorted((self.root / prefix).glob("year=*/month=*/day=*/hour=*/*.parquet"))
        if files:
            glob = str(self.root / prefix / "*" / "*" / "*" / "*" / "*.parquet").replace("'", "''")
            hive_types = ", ".join(f"'{c.name}': INTEGER" for c in PARTITION_COLUMNS)
            source = (
                f"read_parquet('{glob}', hive_partitioning = true, union_by_name = true, hive_types = {{{hive_types}}})"
            )
            present = {row[0] for row in self.con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
        else:
            source, present = "(SELECT 1 AS no_files WHERE false)", set()
        select = ", ".join(
            f'CAST("{c.name}" AS {_DUCK_TYPES[c.arrow_type]}) AS "{c.name}"'
            if c.name in present
            else f'CAST(NULL AS {_DUCK_TYPES[c.arrow_type]}) AS "{c.name}"'
            for c in wanted
        )
        self.con.execute(f"CREATE VIEW {table} AS SELECT {select} FROM {source}")

    def run(self, sql: str) -> QueryResult:
        """Translate and run; the result of the last statement is returned."""
        statements = to_duckdb(sql)
        if not statements:
            raise QueryError("the query is empty")
        cur = None
        for stmt in statements:
            try:
                cur = self.con.execute(stmt)
            except duckdb.Error as exc:
                raise QueryError(
                    f"DuckDB could not run the translated query: {exc}\n-- translated SQL:\n{stmt}"
                ) from exc
        assert cur is not None
        if cur.description is None:
            return QueryResult([], [], self.name)
        columns = [d[0] for d in cur.description]
        return QueryResult(columns, [tuple(r) for r in cur.fetchall()], self.name)

    def close(self) -> None:
        self.con.close()
