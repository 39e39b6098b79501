"""The cost model: bills computed here by hand from the figures and the price table, compared line by line."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path

import pytest

from consumers.cost import Assumptions, load_aws_prices, load_measured, project
from consumers.cost.knobs import KNOBS, PROFILES, knob_table, otlp_to_cloudwatch
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
    # networking.yaml default: no NAT, 8 interface endpoints in 2 AZs; EMF + the consumer's Kinesis reads (64 B)
    # per point processed at $0.01/GB.
    processed = 1000 * 100_000 * (998 + 64) / GIB
    endpoints = line(report, "Networking", "interface VPC endpoints")
    assert math.isclose(endpoints.usd, 8 * 2 * 730 * 0.01 + processed * 0.01)
    collector = line(report, "Collector (Fargate + ALB)", "load balancer")  # internal: no public IPv4 addresses
    assert math.isclose(collector.usd, 730 * (0.0225 + 1.0 * 0.008))


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


def test_collector_settings_use_their_measured_bytes() -> None:
    points = 1000 * 100_000
    shipped = project(1000, measured(), PRICES)
    lean = project(1000, measured(), PRICES, Assumptions(metric_extraction=False))
    untrimmed = project(1000, measured(), PRICES, Assumptions(trim_attributes=False))
    # variant bytes / shipped bytes × the run's 998 B (equal here) + 26 B per event
    assert math.isclose(line(lean, "CloudWatch Logs", "ingestion").usd, points * (698 + 26) / GIB * 0.50)
    assert math.isclose(line(untrimmed, "CloudWatch Logs", "ingestion").usd, points * (1198 + 26) / GIB * 0.50)
    assert not [x for x in lean.lines if x.item == "EMF metrics (collector)"]  # no extraction, no EMF metrics
    saved = shipped.total - lean.total
    ingest = points * 300 / GIB * 0.50
    storage = points * 16 / GIB * 30 / (730 / 24) * 0.03
    network = points * 16 / GIB * 0.01  # smaller Kinesis records read by the consumer through the endpoint
    network += points * 300 / GIB * 0.01  # smaller EMF through the logs endpoint
    assert math.isclose(saved, ingest + storage + 100 * 0.30 + network, rel_tol=1e-6)


def test_the_infrequent_access_log_class_is_refused_with_the_reason() -> None:
    with pytest.raises(ConfigError, match="no subscription filters"):
        project(1000, measured(), PRICES, Assumptions(log_class="infrequent-access"))


def test_on_demand_stream_and_nat_lines_match_hand_computation() -> None:
    points = 1000 * 100_000
    report = project(1000, measured(), PRICES, Assumptions(stream_mode="on-demand", network_mode="nat"))
    assert math.isclose(line(report, "Kinesis", "on-demand stream").usd, 730 * 0.04)
    # written once at $0.08/GB, read by the aggregator and Firehose at $0.04/GB each
    assert math.isclose(line(report, "Kinesis", "on-demand data in and out").usd, points * 64 / GIB * (0.08 + 0.08))
    assert not [x for x in report.lines if x.item in ("shard-hours", "PUT payload units")]
    nat = line(report, "Networking", "NAT gateways")
    assert math.isclose(nat.usd, 2 * 730 * (0.045 + 0.005) + points * (998 + 64) / GIB * 0.045)


def test_smaller_tasks_and_consumer_metrics_off() -> None:
    small = Assumptions(consumer_vcpu=0.25, consumer_gb=1.0, collector_vcpu=0.25, collector_gb=0.5)
    report = project(1000, measured(), PRICES, replace(small, consumer_metrics=False))
    assert math.isclose(line(report, "Consumer (Fargate)", "tasks").usd, 730 * (0.25 * 0.04048 + 1.0 * 0.004445))
    collector = line(report, "Collector (Fargate + ALB)", "collector tasks")
    assert math.isclose(collector.usd, 2 * 730 * (0.25 * 0.04048 + 0.5 * 0.004445))
    assert not [x for x in report.lines if x.item == "closed windows (consumer)"]
    shipped = project(1000, measured(), PRICES)
    published = line(shipped, "CloudWatch metrics", "closed windows (consumer)")
    assert math.isclose(published.usd, 200 * 0.30 + 2 * 43_800 / 1000 * 0.01)  # 2 shards × 1 call per minute


def test_knob_table_savings_are_differences_of_two_bills() -> None:
    base = Assumptions()
    effects = {e.knob.name: e for e in knob_table(1000, measured(), PRICES, base)}
    assert len(effects) == len(KNOBS)
    trim = effects["attribute trim"]  # shipped on: what it saves is the bill without it minus the bill with it
    assert trim.applied
    without = project(1000, measured(), PRICES, Assumptions(trim_attributes=False)).total
    assert math.isclose(trim.saves, without - project(1000, measured(), PRICES).total)
    assert trim.saves > 0
    shard = effects["1 Kinesis shard"]
    # one shard-hour line less, and one shard's PutMetricData calls and small row/PITR shares
    assert not shard.applied and 730 * 0.015 < shard.saves < 730 * 0.015 + 1.0
    lean = PROFILES["lean"]
    applied = {e.knob.name for e in knob_table(1000, measured(), PRICES, lean) if e.applied}
    assert all(k.keeps_features for k in KNOBS if k.name in applied)  # the lean profile keeps every feature
    assert project(10_000, measured(), PRICES, lean).total < project(10_000, measured(), PRICES).total


def test_otlp_to_cloudwatch_on_the_same_points() -> None:
    sidecar = otlp_to_cloudwatch(1000, measured(), PRICES, central=False, assume=Assumptions(events=False))
    points = 1000 * 100_000
    assert math.isclose(sidecar.lines["OTLP metrics ingestion"], points * 900 / GIB * 0.50)
    assert math.isclose(sidecar.usd, points * 900 / GIB * 0.50 + 3.00)
    # The same 10 M events as OTLP logs into CloudWatch Logs, untrimmed: 1,998 B + 26 B each.
    with_events = otlp_to_cloudwatch(1000, measured(), PRICES, central=False)
    assert math.isclose(with_events.usd - sidecar.usd, 10_000_000 * 2024 / GIB * 0.50)
    central = otlp_to_cloudwatch(1000, measured(), PRICES, central=True)
    assert central.usd > sidecar.usd and "lake" in central.gives_up


def test_switching_off_the_lake_and_networking_removes_their_lines() -> None:
    report = project(1000, measured(), PRICES, Assumptions(lake=False, networking=False))
    components = report.by_component()
    assert not {"Firehose", "S3", "Athena", "Networking"} & components.keys()
    assert "DynamoDB" in components
    assert {x.item for x in report.lines if x.component == "Events"} == {
        "CloudWatch Logs ingestion",
        "CloudWatch Logs storage",
        "Kinesis events stream",
        "DynamoDB writes",
    }


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
