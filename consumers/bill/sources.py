"""The two sides of the reconciliation as rows, through the same engines as `ccstream athena`.

On AWS both are Athena queries: the customer's CUR 2.0 table (`--cur-table database.table`, the one Data Exports'
Athena integration creates) and the lake's `metrics_all` view. Locally DuckDB reads the lake mirror and a folder
holding the CUR export's Parquet files (`--cur-dir`, the layout Data Exports writes: `…/data/BILLING_PERIOD=
YYYY-MM/*.parquet`), exposed as the view `cur` so the same Trino SQL runs on both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from consumers.athena.duckdb_engine import DuckDbEngine
from consumers.athena.engine import QueryEngine
from consumers.athena.pricing_sql import price_per_token_sql
from consumers.athena.views import ALL_VIEW
from consumers.bill.attribution import Attribution
from consumers.bill.cur import CurLine, bedrock_lines_sql
from consumers.bill.reconcile import TelemetryRow
from consumers.errors import ConfigError
from consumers.spend.months import Month
from schemas.catalogue import TOKEN_USAGE
from schemas.ratecard import RateCard

LOCAL_CUR_VIEW = "cur"


def attach_cur_folder(engine: DuckDbEngine, cur_dir: Path) -> str:
    """Expose every Parquet file under `cur_dir` as the view `cur` of a DuckDB engine; returns its name."""
    files = sorted(cur_dir.rglob("*.parquet"))
    if not files:
        raise ConfigError(f"--cur-dir {cur_dir} holds no Parquet files (a CUR 2.0 export in Parquet)")
    glob = str(cur_dir / "**" / "*.parquet").replace("'", "''")
    engine.con.execute(
        f"CREATE OR REPLACE VIEW {LOCAL_CUR_VIEW} AS SELECT * FROM read_parquet('{glob}', union_by_name = true)"
    )
    return LOCAL_CUR_VIEW


def _text(value: Any) -> str:
    if isinstance(value, list):  # DuckDB's element_at on a MAP gives a list
        value = value[0] if value else None
    return "" if value is None else str(value)


def bill_lines(engine: QueryEngine, table: str, month: Month, rules: Attribution, cost_column: str) -> list[CurLine]:
    result = engine.run(bedrock_lines_sql(table, month, cost_column, rules.user_tags))
    out = []
    for rec in result.records():
        tags = {k: _text(rec.get(f"tag_{i}")) or None for i, k in enumerate(rules.user_tags)}
        out.append(
            CurLine(
                _text(rec["principal"]),
                _text(rec["usage_type"]),
                _text(rec["resource_id"]),
                {k: v for k, v in tags.items() if v},
                float(rec["usage_amount"] or 0.0),
                float(rec["cost"] or 0.0),
            )
        )
    return out


def telemetry_sql(month: Month, card: RateCard) -> str:
    """Trino SQL: the month's token usage per developer, team, model and token type, priced with `card`."""
    price = price_per_token_sql(card, indent="        ")
    y, m = month.name.split("-")
    return (
        f"SELECT user_key, team_id, model, type, SUM(token_usage) AS tokens, SUM(token_usage * {price}) AS usd\n"
        f"FROM {ALL_VIEW}\n"
        f"WHERE metric = '{TOKEN_USAGE}' AND year = {int(y)} AND month = {int(m)}\n"
        f'  AND "timestamp" >= {month.start_ms} AND "timestamp" < {month.end_ms} AND user_key IS NOT NULL\n'
        f"GROUP BY 1, 2, 3, 4"
    )


def telemetry_rows(engine: QueryEngine, month: Month, card: RateCard) -> list[TelemetryRow]:
    out = []
    for rec in engine.run(telemetry_sql(month, card)).records():
        usd = rec["usd"]
        out.append(
            TelemetryRow(
                str(rec["user_key"]),
                rec["team_id"],
                str(rec["model"] or ""),
                str(rec["type"] or ""),
                float(rec["tokens"] or 0.0),
                None if usd is None else float(usd),
            )
        )
    return out
