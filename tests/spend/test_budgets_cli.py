"""`ccstream budgets --json` on a month of data: spend, forecast band and run-out per scope, the prices it used
(checked against the stored figures), and the statuses the status endpoint reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from consumers.cli.app import app
from tests.spend.conftest import NOV_1, NOV_21, MonthTable


def test_budgets_json_names_and_checks_its_prices(
    month_table: MonthTable, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    budgets = tmp_path / "budgets.yaml"
    budgets.write_text(
        "org: {monthly_cost_usd: 100000}\nteams:\n  search: {monthly_cost_usd: 50}\n"
        "users:\n  cat@example.com: {monthly_cost_usd: 5}\n"
    )
    monkeypatch.setenv("CCSTREAM_TABLE", month_table.names.table)
    monkeypatch.delenv("CCSTREAM_ALERT_TOPIC_ARN", raising=False)
    monkeypatch.delenv("CCSTREAM_PRICING", raising=False)
    monkeypatch.delenv("CCSTREAM_PRICING_JSON", raising=False)
    args = ["budgets", "--budgets", str(budgets), "--json", "--as-of", "2026-11-20T23:59:00Z"]
    result = CliRunner().invoke(app, [*args, "--endpoint-url", month_table.target.endpoint_url or ""])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout.strip().splitlines()[-1])
    assert doc["month"] == "2026-11" and doc["prices"]["check"]["matches"] is True
    assert doc["prices"]["rate_card"] == doc["prices"]["version"]  # no overrides
    got = {(b["scope"], b["name"]): b for b in doc["budgets"]}
    month = [p for p in month_table.points if NOV_1 <= p.ts < NOV_21]
    assert got[("org", "org")]["spent"] == pytest.approx(sum(p.usd or 0.0 for p in month), abs=1e-5)
    search = sum(p.usd or 0.0 for p in month if p.team == "search")
    assert got[("team", "search")]["spent"] == pytest.approx(search, abs=1e-5)
    cat = got[("user", "cat@example.com")]
    assert cat["spent"] > cat["limit"] and cat["exhaustion_ms"] is not None  # spent: runs out "now"
    for b in doc["budgets"]:
        assert b["projected_low"] <= b["projected_month_total"] <= b["projected_high"]
        assert b["projected_month_total"] >= b["spent"]
    assert doc["statuses_written"] == 3
    doc2 = json.loads(
        CliRunner()
        .invoke(app, [*args, "--endpoint-url", month_table.target.endpoint_url or ""])
        .stdout.splitlines()[-1]
    )
    assert doc2["statuses_written"] == 0 and doc2["alerts_sent"] == []  # nothing changed, nothing repeated
    human = CliRunner().invoke(
        app, [a for a in args if a != "--json"] + ["--endpoint-url", month_table.target.endpoint_url or ""]
    )
    assert human.exit_code == 0, human.output
    assert "search" in human.stdout and "priced with rate card" in human.stdout and "budgets 2026-11" in human.stdout
