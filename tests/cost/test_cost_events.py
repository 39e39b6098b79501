"""Events in the bill: every line computed here by hand from the hand-made figures (tests/cost/figures.py)."""

from __future__ import annotations

import math

import pytest

from consumers.cost import Assumptions, load_aws_prices, project
from consumers.cost.knobs import PROFILES, knob_table
from consumers.errors import ConfigError
from tests.cost.figures import measured

PRICES = load_aws_prices()
GIB = 1024**3
MIB = 1024**2
EVENTS = 1000 * 1000 * 10  # 1,000 users × 1,000 active minutes × 10 events


def events_lines(report):  # type: ignore[no-untyped-def]
    return {x.item: x for x in report.lines if x.component == "Events"}


def test_event_lines_match_hand_computation() -> None:
    got = events_lines(project(1000, measured(), PRICES))
    assert math.isclose(got["CloudWatch Logs ingestion"].usd, EVENTS * (998 + 26) / GIB * 0.50)
    assert math.isclose(got["CloudWatch Logs storage"].usd, EVENTS * 50 / GIB * 30 / (730 / 24) * 0.03)
    assert math.isclose(got["Kinesis events stream"].usd, 730 * 0.015 + EVENTS * 0.01 / 1e6 * 0.014)
    assert math.isclose(got["DynamoDB writes"].usd, EVENTS * 50 / 1000 / 1e6 * 0.625)
    parquet_gb = EVENTS * 80 / GIB
    lake = parquet_gb * 90 / (730 / 24) * 0.023 + parquet_gb * 640 / (730 / 24) * 0.0036
    assert math.isclose(got["lake (S3)"].usd, lake + EVENTS * 0.1 / 1000 / 1000 * 0.005)
    assert math.isclose(got["network (data processed)"].usd, EVENTS * (998 + 50) / GIB * 0.01)


def test_events_off_removes_exactly_the_event_lines() -> None:
    on, off = project(1000, measured(), PRICES), project(1000, measured(), PRICES, Assumptions(events=False))
    assert "Events" not in off.by_component()
    assert math.isclose(on.total - off.total, sum(x.usd for x in events_lines(on).values()))
    # Without events figures the bill still projects with events off, and says how to measure them otherwise.
    assert project(1000, measured(events=None), PRICES, Assumptions(events=False)).total == off.total
    with pytest.raises(ConfigError, match="events_bill"):
        project(1000, measured(events=None), PRICES)


def test_the_rate_assumptions_override_the_measured_ones() -> None:
    a = Assumptions(events_per_active_minute=2.0, active_minutes_per_user_month=500.0)
    got = events_lines(project(1000, measured(), PRICES, a))
    assert math.isclose(got["CloudWatch Logs ingestion"].quantity, 1000 * 500 * 2 * 1024 / GIB)
    assert math.isclose(got["DynamoDB writes"].quantity, 1000 * 500 * 2 * 50 / 1000)


def test_the_events_trim_and_retention_use_their_bytes() -> None:
    untrimmed = events_lines(project(1000, measured(), PRICES, Assumptions(events_trim=False)))
    assert math.isclose(untrimmed["CloudWatch Logs ingestion"].usd, EVENTS * (1998 + 26) / GIB * 0.50)
    assert math.isclose(untrimmed["CloudWatch Logs storage"].usd, EVENTS * 100 / GIB * 30 / (730 / 24) * 0.03)
    day = events_lines(project(1000, measured(), PRICES, Assumptions(events_log_retention_days=1)))
    assert math.isclose(day["CloudWatch Logs storage"].usd, EVENTS * 50 / GIB * 1 / (730 / 24) * 0.03)
    effects = {e.knob.name: e for e in knob_table(1000, measured(), PRICES, Assumptions())}
    assert effects["events trim"].applied
    trim_saves = EVENTS * 1000 / GIB * (0.50 + 0.01) + EVENTS * 50 / GIB * 30 / (730 / 24) * 0.03  # bytes saved
    trim_saves += EVENTS * 50 / GIB * 0.01  # smaller Kinesis records read through the endpoint
    assert math.isclose(effects["events trim"].saves, trim_saves)
    assert not effects["no events"].knob.keeps_features
    assert PROFILES["lean"].events_log_retention_days == 1


def test_the_events_stream_grows_when_the_peak_needs_it() -> None:
    users = 1_000_000
    peak_per_s = users * 0.2 * 10 / 60  # busiest minute's share × events per active minute
    stream = events_lines(project(users, measured(), PRICES))["Kinesis events stream"]
    assert stream.quantity == 730 * math.ceil(peak_per_s * 50 / (0.5 * MIB))


def test_advanced_parameters_are_billed() -> None:
    report = project(1000, measured(), PRICES)
    (ssm,) = [x for x in report.lines if x.item == "SSM parameters (Advanced tier)"]
    assert (ssm.quantity, ssm.usd) == (2, 2 * 0.05)


def test_event_bytes_count_towards_the_load_balancer() -> None:
    a = Assumptions(events_per_active_minute=10_000.0)
    (balancer,) = [x for x in project(1000, measured(), PRICES, a).lines if x.item == "load balancer"]
    metrics_s = 1000 / 10 * 998  # figures.month: users / 10 points a second at the peak, 998 B each
    events_s = 1000 * 0.2 * 10_000 / 60 * 1998  # busiest minute's share × rate, untrimmed (the OTLP stand-in)
    lcus = (metrics_s + events_s) * 3600 / GIB
    assert lcus > 1 and math.isclose(balancer.usd, 730 * (0.0225 + lcus * 0.008))
