"""`ccstream cost`: JSON and table output, and a clear error for bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import typer
from typer.testing import CliRunner

from consumers.cli import cost_cmd
from consumers.cost.measured import save_measured
from consumers.errors import ConfigError
from tests.cost.figures import measured

runner = CliRunner()


def cost_app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """Test root, so `cost` stays a subcommand."""

    cost_cmd.register(app)
    return app


def test_json_lists_every_line_and_the_total(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    save_measured(measured(), path)
    result = runner.invoke(cost_app(), ["cost", "--users", "1000", "--json", "--measured", str(path)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["users"] == 1000
    assert doc["data_points_per_month"] == 1000 * 100_000
    assert math.isclose(doc["total_usd_per_month"], sum(x["usd_per_month"] for x in doc["lines"]), abs_tol=0.05)
    assert "firehose.dynamic_partitioning_per_gb" in " ".join(doc["notes"])  # unconfirmed prices are named


def test_options_reach_the_model(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    save_measured(measured(), path)
    args = ["cost", "-u", "1000", "--json", "--measured", str(path), "--no-lake", "--no-networking", "--shards", "4"]
    doc = json.loads(runner.invoke(cost_app(), args).output)
    assert "Firehose" not in doc["by_component"] and "Networking" not in doc["by_component"]
    shard_line = next(x for x in doc["lines"] if x["item"] == "shard-hours")
    assert shard_line["quantity"] == 4 * 730


def test_table_names_the_largest_component(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    save_measured(measured(), path)
    result = runner.invoke(cost_app(), ["cost", "--users", "10000", "--measured", str(path)])
    assert result.exit_code == 0, result.output
    assert "Largest component:" in result.output and "total" in result.output


def test_zero_users_is_a_config_error() -> None:
    result = runner.invoke(cost_app(), ["cost", "--users", "0"])
    assert isinstance(result.exception, ConfigError)
    assert "--users" in str(result.exception)


def test_knobs_profiles_and_comparisons(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    save_measured(measured(), path)
    base = ["cost", "-u", "10000", "--measured", str(path)]
    doc = json.loads(runner.invoke(cost_app(), [*base, "--json"]).output)
    lean = json.loads(runner.invoke(cost_app(), [*base, "--json", "--profile", "lean"]).output)
    assert (doc["profile"], lean["profile"]) == ("shipped", "lean")
    assert lean["total_usd_per_month"] < doc["total_usd_per_month"]
    assert lean["assumptions"]["metric_extraction"] is False and lean["assumptions"]["shards"] == 1
    assert doc["target_usd_per_month"] == 400
    knobs = {k["knob"]: k for k in doc["knobs"]}
    assert knobs["attribute trim"]["applied"] and knobs["attribute trim"]["saves_usd_per_month"] > 0
    assert {a["name"] for a in doc["alternatives"]} == {
        "OTLP → CloudWatch (sidecar mode)",
        "OTLP → CloudWatch (central mode)",
    }
    override = json.loads(runner.invoke(cost_app(), [*base, "--json", "--profile", "lean", "--shards", "3"]).output)
    assert override["assumptions"]["shards"] == 3  # an option overrides the profile
    table = runner.invoke(cost_app(), [*base, "--knobs", "--compare"])
    assert table.exit_code == 0, table.output
    assert "What each setting saves" in table.output and "OTLP → CloudWatch (sidecar mode)" in table.output
    assert "target at 10,000 developers" in table.output


def test_the_infrequent_access_class_is_refused_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    save_measured(measured(), path)
    args = ["cost", "-u", "100", "--measured", str(path), "--log-class", "infrequent-access"]
    result = runner.invoke(cost_app(), args)
    assert isinstance(result.exception, ConfigError) and "subscription filters" in str(result.exception)
    bad = runner.invoke(cost_app(), ["cost", "-u", "100", "--measured", str(path), "--network", "carrier-pigeon"])
    assert isinstance(bad.exception, ConfigError) and "--network" in str(bad.exception)


def test_event_options_reach_the_model(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    save_measured(measured(), path)
    base = ["cost", "-u", "1000", "--json", "--measured", str(path)]
    on = json.loads(runner.invoke(cost_app(), base).output)
    off = json.loads(runner.invoke(cost_app(), [*base, "--no-events"]).output)
    assert "Events" in on["by_component"] and "Events" not in off["by_component"]
    assert math.isclose(
        on["total_usd_per_month"] - off["total_usd_per_month"], on["by_component"]["Events"], abs_tol=0.05
    )
    assert {k["knob"] for k in on["knobs"]} >= {"no events", "events trim", "events log retention 1 day"}
    args = ["--events-per-active-minute", "2", "--active-minutes-per-user-month", "500", "--no-events-trim"]
    custom = json.loads(runner.invoke(cost_app(), [*base, *args, "--events-log-retention-days", "7"]).output)
    ingest = next(x for x in custom["lines"] if x["component"] == "Events" and x["item"] == "CloudWatch Logs ingestion")
    assert math.isclose(ingest["quantity"], 1000 * 500 * 2 * (1998 + 26) / 1024**3, rel_tol=1e-3)
    assert custom["assumptions"]["events_log_retention_days"] == 7
    bad = runner.invoke(cost_app(), [*base, "--events-per-active-minute", "-1"])
    assert isinstance(bad.exception, ConfigError)
