"""`ccstream export`: per user, team, cost center and model; to the cent equal to `ccstream query`, and to the
points priced independently; CSV and Parquet carry the same figures."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from consumers.cli.app import app
from tests.spend.conftest import NOV_1, NOV_21, MonthTable

BY = {"user": "user.email", "team": "team.id", "cost_center": "cost_center", "model": "model"}


def run(month_table: MonthTable, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    monkeypatch.setenv("CCSTREAM_TABLE", month_table.names.table)
    monkeypatch.delenv("CCSTREAM_PRICING", raising=False)
    monkeypatch.delenv("CCSTREAM_PRICING_JSON", raising=False)
    result = CliRunner().invoke(app, [*args, "--endpoint-url", month_table.target.endpoint_url or ""])
    assert result.exit_code == 0, result.output
    return result.stdout


def query_sums(month_table: MonthTable, monkeypatch: pytest.MonkeyPatch, attr: str) -> dict[str, float]:
    out = run(
        month_table, monkeypatch, "query", "ccstream.token_cost.usd", "--window", "1d", "--by", attr,
        "--from", "2026-11-01T00:00:00Z", "--to", "2026-11-21T00:00:00Z", "--json",
    )  # fmt: skip
    sums: dict[str, float] = {}
    for row in json.loads(out.strip().splitlines()[-1]):
        sums[row[attr]] = sums.get(row[attr], 0.0) + row["value"]
    return sums


@pytest.mark.parametrize("by", list(BY))
def test_export_agrees_to_the_cent_with_query_and_the_points(
    by: str, month_table: MonthTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = run(month_table, monkeypatch, "export", "--from", "2026-11-01", "--to", "2026-11-21", "--by", by)
    rows = list(csv.DictReader(io.StringIO(out)))
    got = {r["group"]: r for r in rows}
    from_query = query_sums(month_table, monkeypatch, BY[by])
    want = {g: f"{round(from_query.get(g, 0.0), 2):.2f}" for g in got}  # a group query has no USD for: 0.00
    assert {g: r["cost_usd"] for g, r in got.items()} == want and set(from_query) <= set(got)
    # independent: the points × list prices (typed in), unpriced tokens of the model without a price
    key = {"user": "user", "team": "team", "cost_center": "cost_center", "model": "model"}[by]
    pts = [p for p in month_table.points if NOV_1 <= p.ts < NOV_21]
    for group, r in got.items():
        mine = [p for p in pts if getattr(p, key) == group]
        assert float(r["cost_usd"]) == pytest.approx(sum(p.usd or 0.0 for p in mine), abs=0.005 + 1e-9)
        assert float(r["tokens"]) == pytest.approx(sum(p.tokens for p in mine))
        assert float(r["unpriced_tokens"]) == pytest.approx(sum(p.tokens for p in mine if p.usd is None))
        assert r["period_from"] == "2026-11-01" and r["period_to"] == "2026-11-21" and r["rate_card"]
    assert set(got) == {getattr(p, key) for p in pts}
    if by == "model":
        assert float(got["claude-opus-5-5"]["cost_usd"]) == 0.0 and float(got["claude-opus-5-5"]["unpriced_tokens"]) > 0


def test_parquet_holds_the_csv_figures(
    month_table: MonthTable, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    target = tmp_path / "team.parquet"
    run(month_table, monkeypatch, "export", "--from", "2026-11-01", "--to", "2026-11-21", "--by", "team",
        "--format", "parquet", "--out", str(target))  # fmt: skip
    table = pq.read_table(target).to_pylist()
    out = run(month_table, monkeypatch, "export", "--from", "2026-11-01", "--to", "2026-11-21", "--by", "team")
    assert {r["group"]: f"{r['cost_usd']:.2f}" for r in table} == {
        r["group"]: r["cost_usd"] for r in csv.DictReader(io.StringIO(out))
    }


def test_csv_cells_never_become_formulas() -> None:
    from consumers.spend.export import ExportRow, to_csv

    row = ExportRow("2026-11-01", "2026-12-01", "team", '=HYPERLINK("http://x","y")', 1.005, 2.0, 3.0, 0.0, "c")
    (parsed,) = list(csv.DictReader(io.StringIO(to_csv([row]).decode())))
    assert parsed["group"] == "'" + row.group and parsed["cost_usd"] == f"{1.005:.2f}"
