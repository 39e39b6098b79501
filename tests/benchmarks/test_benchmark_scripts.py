"""Each benchmark script runs end to end on a tiny input. Nothing here looks at how long anything took."""

from __future__ import annotations

import shutil
from importlib import util
from pathlib import Path

import pytest

from benchmarks import decoders, freshness, load, memory, soak, throughput, write_amplification
from consumers.cost import Assumptions, load_aws_prices, load_measured, project


def test_throughput_prints_both_ratios_and_checks_totals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """On lines the real collector wrote (captured into `tmp_path`, so the run also proves the capture works)."""
    args = ["--users", "30", "--minutes", "2", "--repeat", "2", "--cache-dir", str(tmp_path)]
    assert throughput.main(args) == 0
    assert len(list(tmp_path.glob("collector-30u-2m-*.ndjson.gz"))) == 1
    out = capsys.readouterr().out
    assert "pipeline vs naive:" in out and "pipeline vs decode floor:" in out and "pure-Python pipeline:" in out
    assert "check: token totals per hour equal: ok" in out and "check: pure-Python pipeline: same rows: ok" in out
    assert "check: native core built and used: ok" in out
    assert "machine:" in out and "command:" in out


def test_decoders_every_reader_reads_every_line(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--users", "30", "--minutes", "2", "--repeat", "1", "--source", "simulator"]
    assert decoders.main(args) == 0  # 1 if a reader skipped lines
    out = capsys.readouterr().out
    assert out.count("µs/point") == 1 and "duckdb from_json" in out and "polars" in out and "pyarrow" in out
    assert "native core read" in out
    assert "not comparable" not in out and "ceiling: naive /" in out


def test_write_amplification_writes_figures_the_cost_model_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "measured.json"
    args = ["--users", "20", "40", "--minutes", "3", "--month-minutes", "3", "--write-measured", str(path)]
    assert write_amplification.main(args) == 0
    assert "per 1,000 points" in capsys.readouterr().out
    figures = load_measured(path)
    assert {m.users for m in figures.months} == {20, 40}
    assert {s.scenario for s in figures.scenarios} == {"peak-workday", "all-active"}
    for s in figures.scenarios:
        assert s.points > 0 and s.write_requests["dedup"] > 0 and s.total_units >= s.total_requests
    assert figures.per_point.parquet_bytes > 0 and figures.per_point.kinesis_bytes < figures.per_point.emf_bytes
    assert project(40, figures, load_aws_prices(), Assumptions(events=False)).total > 0  # events: events_bill
    shipped, untrimmed, lean, _ = figures.line_variants  # the collector settings, measured on the same exports
    assert lean.emf_bytes < shipped.emf_bytes < untrimmed.emf_bytes and lean.cloudwatch_metrics == 0
    assert figures.otlp_bytes_per_point > 0


def test_memory_reports_rss_from_a_child_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert memory.main(["--users", "30", "--minutes", "1"]) == 0
    out = capsys.readouterr().out
    assert "RSS after imports:" in out and "peak:" in out


def test_memory_with_a_hostile_client_reaches_the_group_limit(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--users", "20", "--minutes", "1", "--distinct-per-minute", "300", "--max-groups", "100"]
    assert memory.main(args) == 0
    out = capsys.readouterr().out
    assert "hostile client: 300 lines a minute" in out and "limits.groups_overflow.1m" in out


def test_load_simulates_every_shard_and_measures_the_emulator(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--users", "20", "--times", "3", "--minutes", "2", "--shards", "2", "--emulator-seconds", "0.5"]
    assert load.main(args) == 0
    out = capsys.readouterr().out
    assert "embedded emulator" in out and "PutRecords" in out and "GetRecords" in out
    assert out.count("utilisation") == 3 and "worst shard utilisation" in out


def test_soak_sample_lines_line_up_with_the_header() -> None:
    sample = soak.Sample(3, 12_345, 1.5, 250.0, [80.0, 81.0], 300.0, 42)
    assert len(sample.line()) == len(soak.HEADER)
    java, processors, this = soak.process_memory()
    assert java >= 0.0 and all(mb > 0 for mb in processors) and this > 10  # this interpreter uses > 10 MB


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 21)]  # 1..20
    assert freshness.percentile(values, 50) == 10.0
    assert freshness.percentile(values, 95) == 19.0
    assert freshness.percentile([3.0], 95) == 3.0


@pytest.mark.kcl
@pytest.mark.emulator
@pytest.mark.timeout(300)
@pytest.mark.skipif(shutil.which("java") is None, reason="needs a Java runtime")
@pytest.mark.skipif(util.find_spec("amazon_kclpy") is None, reason="needs amazon_kclpy: make setup")
def test_freshness_measures_probes_under_the_real_kcl(capsys: pytest.CaptureFixture[str]) -> None:
    assert freshness.main(["--probes", "2", "--idle-ms", "250"]) == 0
    out = capsys.readouterr().out
    assert "freshness over 2 probes" in out and "p95" in out
