"""The benchmark building blocks on tiny inputs: workload, KCL-like driver, counting stores, references."""

from __future__ import annotations

import gzip
import json
import math

import pytest

from benchmarks.counting import CountingStores, item_bytes, write_units
from benchmarks.kcl_sim import SimClock, build_pipelines, drive_like_kcl
from benchmarks.references import NaiveAggregator, floor_decode
from benchmarks.throughput import pipeline_totals, run_pipeline
from benchmarks.workload import WorkloadSpec, build_workload, kcl_batches
from schemas.catalogue import COST_USAGE, TOKEN_USAGE
from schemas.prices import load_prices


@pytest.fixture(scope="module")
def workload():  # type: ignore[no-untyped-def]
    return build_workload(WorkloadSpec(users=40, minutes=3, shards=2, all_active=True), count_metric_series=True)


def test_workload_records_carry_every_line_once(workload) -> None:  # type: ignore[no-untyped-def]
    events = 0
    ids = set()
    for shard, records in workload.records.items():
        seqs = [r.sequence_number for r in records]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        for rec in records:
            assert rec.shard_id == shard
            env = json.loads(gzip.decompress(rec.data))  # decoded with the stdlib, not the code under test
            if env["messageType"] == "DATA_MESSAGE":
                events += len(env["logEvents"])
                ids |= {e["id"] for e in env["logEvents"]}
    assert events == len(ids) == workload.volume.log_events > 0
    assert all(workload.records.values()), "both shards receive records (random partition keys)"
    assert workload.volume.metric_series, "awsemf directives declare CloudWatch metrics"


def test_kcl_batches_respect_both_limits(workload) -> None:  # type: ignore[no-untyped-def]
    records = workload.all_records()
    biggest = max(len(r.data) for r in records)
    batches = list(kcl_batches(records, max_records=3, max_bytes=2 * biggest))
    assert [r for b in batches for r in b] == records
    assert all(len(b) <= 3 and (len(b) == 1 or sum(len(r.data) for r in b) <= 2 * biggest) for b in batches)


def test_driver_delivers_everything_and_checkpoints_the_last_record(workload) -> None:  # type: ignore[no-untyped-def]
    counting = CountingStores()
    clock = SimClock(0)
    pipelines = build_pipelines("bench-test", list(workload.records), counting.stores(), clock)
    stats = drive_like_kcl(pipelines, workload.records, clock, poll_ms=1500)
    assert stats.records == sum(len(r) for r in workload.records.values())
    assert sum(p.counters.values["points"] for p in pipelines.values()) == workload.volume.points
    for shard, records in workload.records.items():
        saved = counting.inner.snapshots[("bench-test", shard)]
        assert saved[-1].position == records[-1].position
    tally = counting.tally
    assert tally.requests["dedup"] == workload.volume.data_records
    assert tally.by_group()["rows"][0] == sum(n for k, n in tally.requests.items() if k.startswith("row."))
    assert tally.dynamodb_units >= tally.dynamodb_requests  # every request is at least one unit


def test_item_size_and_write_units_follow_dynamodb_rules() -> None:
    assert item_bytes({"pk": "abc"}) == 2 + 3
    assert item_bytes({"n": 12345}) == 1 + 1 + 3  # name + 1 + ceil(5 digits / 2)
    assert item_bytes({"m": {"a": "xy"}}) == 1 + 3 + (1 + 2 + 1)
    assert write_units({"pk": "x" * 1000}) == 1  # 1,002 bytes
    assert write_units({"pk": "x" * 1023}) == 2  # 1,025 bytes
    assert write_units({"pk": "x", "gsi2pk": "t"}) == 2  # base table + MetricTypeIndex
    assert write_units({"pk": "x" * 2000, "gsi2pk": "t", "gsi3pk": "m"}) == 3 * 2


def test_references_agree_with_the_pipeline(workload) -> None:  # type: ignore[no-untyped-def]
    records = workload.all_records()
    assert floor_decode(records) == workload.volume.points
    naive = NaiveAggregator(load_prices())
    naive.process(records)
    pipeline = run_pipeline(list(kcl_batches(records)), SimClock(max(r.arrival_ms for r in records)), flush=False)
    assert naive.points == workload.volume.points
    for size in ("1m", "1h"):
        for metric in (TOKEN_USAGE, COST_USAGE, "ccstream.token_cost.usd"):
            mine, theirs = naive.totals(size, metric), pipeline_totals(pipeline, size, metric)
            assert mine.keys() == theirs.keys()
            assert all(math.isclose(mine[k], theirs[k], rel_tol=1e-9) for k in mine)
