"""The cost model: bills computed here by hand from the figures and the price table, compared line by line."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from consumers.cost import Assumptions, load_aws_prices, load_measured, project
from consumers.cost.measured import save_measured
from consumers.errors import ConfigError
from tests.cost.figures import measured, month

PRICES = load_aws_prices()
GIB = 1024**3


def line(report, component: str, item: str):  # type: ignore[no-untyped-def]
    return next(x for x in report.lines if x.component == component and x.item == item)


def test_volume_driven_lines_match_hand_computation() -> None:
    report = project(1000, measured(), PRICES)
    points = 1000 * 100_000  # users × points per user-month
    assert report.points_per_month == points
    # 998 B EMF + 26 B metadata = 1,024 B per point; $0.50 per GiB.
    assert math.isclose(line(report, "CloudWatch Logs", "ingestion").usd, points * 1024 / GIB * 0.50)
    # 1,000 write units per 1,000 points at $0.625 per million.
    assert math.isclose(line(report, "DynamoDB", "writes (consumer)").usd, points * 1.0 / 1e6 * 0.625)
    assert math.isclose(line(report, "Kinesis", "PUT payload units").usd, points * 0.004 / 1e6 * 0.014)
    assert math.isclose(line(report, "Firehose", "ingestion from Kinesis").usd, points * 80 / GIB * 0.029)
    assert math.isclose(line(report, "CloudWatch metrics", "EMF metrics (collector)").usd, 100 * 0.30)


def test_fixed_lines_match_template_defaults() -> None:
    report = project(1000, measured(), PRICES)
    assert math.isclose(line(report, "Kinesis", "shard-hours").usd, 2 * 730 * 0.015)
    assert math.isclose(line(report, "Consumer (Fargate)", "tasks").usd, 730 * (1 * 0.04048 + 2 * 0.004445))
    assert math.isclose(line(report, "Networking", "NAT gateway").usd, 730 * (0.045 + 0.005))


def test_volume_lines_scale_with_users_and_fixed_lines_do_not() -> None:
    small, large = project(1000, measured(), PRICES), project(2000, measured(), PRICES)
    ingest = ("CloudWatch Logs", "ingestion")
    assert math.isclose(line(large, *ingest).usd, 2 * line(small, *ingest).usd)
    assert line(large, "Kinesis", "shard-hours").usd == line(small, "Kinesis", "shard-hours").usd
    assert large.total > small.total


def test_the_nearest_measured_user_count_is_used() -> None:
    figures = measured([month(1000, units=1000.0), month(10_000, units=2000.0)])
    near_small = project(2000, figures, PRICES)  # log-distance: 2,000 is nearer 1,000 than 10,000
    near_large = project(6000, figures, PRICES)
    assert math.isclose(line(near_small, "DynamoDB", "writes (consumer)").quantity, 2000 * 100_000 * 1.0)
    assert math.isclose(line(near_large, "DynamoDB", "writes (consumer)").quantity, 6000 * 100_000 * 2.0)


def test_shards_grow_when_the_measured_peak_needs_them() -> None:
    report = project(1_000_000, measured(), PRICES)  # 100,000 points/s × 64 B = 6.1 MB/s at 0.5 MB/s per shard
    shards = line(report, "Kinesis", "shard-hours").quantity / 730
    assert shards == math.ceil(1_000_000 / 10 * 64 / (0.5 * 1024**2))
    assert line(report, "Consumer (Fargate)", "tasks").quantity == math.ceil(shards / 2) * 730


def test_switching_off_the_lake_and_networking_removes_their_lines() -> None:
    report = project(1000, measured(), PRICES, Assumptions(lake=False, networking=False))
    components = report.by_component()
    assert not {"Firehose", "S3", "Athena", "Networking"} & components.keys()
    assert "DynamoDB" in components


def test_the_firehose_transform_lambda_path_replaces_builtin_decompression() -> None:
    builtin = {x.item for x in project(1000, measured(), PRICES).lines if x.component == "Firehose"}
    with_lambda = {
        x.item
        for x in project(1000, measured(), PRICES, Assumptions(firehose_transform_lambda=True)).lines
        if x.component == "Firehose"
    }
    assert "decompression" in builtin and "transform Lambda" not in builtin
    assert {"transform Lambda", "dynamic partitioning"} <= with_lambda and "decompression" not in with_lambda
    # 40 µs CPU per point on a Lambda, one vCPU at 1,769 MB: GB-seconds = CPU seconds × 1.769.
    report = project(1000, measured(), PRICES, Assumptions(firehose_transform_lambda=True))
    assert math.isclose(line(report, "Firehose", "transform Lambda").quantity, 1000 * 100_000 * 40e-6 * 1.769)


def test_rollup_writes_follow_the_interval() -> None:
    hourly = project(1000, measured(), PRICES, Assumptions(rollup_every_min=60))
    every_15 = project(1000, measured(), PRICES, Assumptions(rollup_every_min=15))
    item = ("DynamoDB", "writes (user-day rollup)")
    assert math.isclose(line(every_15, *item).quantity, 4 * line(hourly, *item).quantity)
    assert math.isclose(line(hourly, *item).quantity, 730 * 1000 * 0.7 * 2)


def test_totals_json_and_seed_comparison_are_consistent() -> None:
    report = project(10_000, measured(), PRICES)
    doc = report.to_json()
    assert math.isclose(doc["total_usd_per_month"], sum(x["usd_per_month"] for x in doc["lines"]), abs_tol=0.05)
    name, usd = report.dominant()
    assert usd == max(report.by_component().values())
    assert name in report.seed_comparison() and "$100/month" in report.seed_comparison()


def test_no_users_is_an_error() -> None:
    with pytest.raises(ValueError):
        project(0, measured(), PRICES)


def test_measured_figures_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "measured.json"
    save_measured(measured(), path)
    assert load_measured(path) == measured()
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="write_amplification"):
        load_measured(path)


def test_shipped_figures_and_prices_project_every_component() -> None:
    shipped = load_measured()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", shipped.measured_on)
    assert {m.users for m in shipped.months} >= {1000, 10_000}
    report = project(10_000, shipped, PRICES)
    expected = {"CloudWatch Logs", "Kinesis", "Consumer (Fargate)", "DynamoDB", "Firehose", "S3", "Athena"}
    assert expected <= report.by_component().keys()
    assert all(x.usd >= 0 for x in report.lines)


def test_price_table_is_dated_and_complete() -> None:
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", PRICES.effective_date)
    assert PRICES.region == "us-east-1" and PRICES.hours_per_month == 730
    assert all(p.usd >= 0 and p.unit for p in PRICES.prices.values())
    with pytest.raises(ConfigError, match="no 'nope'"):
        PRICES.usd("nope")
