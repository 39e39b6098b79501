"""Named queries: files with headers, the seed's three verbatim, prices rendered from schemas/prices.json."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
import sqlglot

from consumers.athena.duckdb_engine import to_duckdb
from consumers.athena.named import parse_query_file, render_named_queries, resolve_query
from consumers.athena.pricing_sql import price_per_token_sql
from consumers.errors import ConfigError
from schemas.prices import load_prices

SEED_DOC = Path("/work/shared/seeds/analytics-pipeline.md")
SEEDS = ("top_users_by_tokens", "token_usage_by_model", "activity_by_hour")
EXPECTED = {
    *SEEDS,
    "cost_by_model",
    "cost_by_department_team",
    "cache_efficiency",
    "code_acceptance_by_language",
    "sessions_per_user",
    "tpm_rpm_by_model",
    # the events table's (issue 16; checked against an oracle in tests/events/test_events_lake.py)
    "events_api_latency_by_model",
    "events_error_rate_by_day",
    "events_tool_reliability",
    "events_cost_by_query_source",
}


def test_every_query_is_named_described_and_parses_as_trino() -> None:
    queries = render_named_queries()
    assert set(queries) == EXPECTED
    for q in queries.values():
        assert len(q.description) > 20, q.name
        assert "{{" not in q.sql, q.name
        sqlglot.parse_one(q.sql, read="trino")
        assert to_duckdb(q.sql), q.name


@pytest.mark.skipif(not SEED_DOC.exists(), reason=f"{SEED_DOC} (the seed design) is not on this machine")
def test_the_seed_queries_are_the_printed_text() -> None:
    blocks = re.findall(r"```sql\n(.*?)```", SEED_DOC.read_text(), flags=re.S)
    printed = [b.strip() for b in blocks[:3]]
    queries = render_named_queries()
    assert [queries[name].sql.strip() for name in SEEDS] == printed


def test_header_parsing() -> None:
    name, desc, body = parse_query_file("-- name: x_y\n-- description: Does a thing.\nSELECT 1;\n", "file")
    assert (name, desc, body) == ("x_y", "Does a thing.", "SELECT 1;\n")
    assert parse_query_file("SELECT 2", "fallback")[0] == "fallback"


def test_resolve_by_name_or_sql() -> None:
    name, sql = resolve_query("cache_efficiency")
    assert name == "cache_efficiency" and "cache_efficiency" in sql
    assert resolve_query("SELECT count(*) FROM metrics") == (None, "SELECT count(*) FROM metrics")
    with pytest.raises(ConfigError, match="no named query 'nope'"):
        resolve_query("nope")


MODELS = [
    "us.anthropic.claude-sonnet-4-20250514-v1:0",
    "claude-3-7-sonnet-20250219",
    "claude-opus-4-1-20250805",
    "anthropic.claude-opus-4-20250514-v1:0",
    "global.anthropic.claude-opus-4-5-20251101-v1:0",
    "claude-opus-4-6",
    "eu.anthropic.claude-haiku-4-5-20251001-v1:0",
    "claude-3-5-haiku-20241022",
    "US.Anthropic.Claude-Sonnet-4-5",
    "mystery-model-9",
]


def test_rendered_price_sql_matches_the_price_table() -> None:
    """Drift test: the SQL CASE gives the same USD per token as schemas/prices.py for every model and type."""
    expr = sqlglot.transpile(f"SELECT {price_per_token_sql()} AS p FROM t", read="trino", write="duckdb")[0]
    con = duckdb.connect()
    prices = load_prices()
    con.execute("CREATE TABLE t (model VARCHAR, type VARCHAR)")
    pairs = [(m, t) for m in MODELS for t in ("input", "output", "cacheRead", "cacheCreation", "bogus")]
    for m, t in pairs:
        con.execute("DELETE FROM t")
        con.execute("INSERT INTO t VALUES (?, ?)", [m, t])
        (got,) = con.execute(expr).fetchone()
        want = prices.price_per_token(m, t)
        assert (got is None) == (want is None), (m, t, got, want)
        if want is not None:
            assert got == pytest.approx(want, rel=1e-12), (m, t)
    # the table is not trivially NULL: these are priced, and differ per type
    assert prices.price_per_token(MODELS[0], "cacheRead") == pytest.approx(0.3e-6)
