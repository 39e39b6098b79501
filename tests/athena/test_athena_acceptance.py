"""Acceptance: replay fixtures through the emulator into the lake, then run every named query on DuckDB.

Path: EMF log events → CloudWatch Logs (moto) → subscription filter → Kinesis → the lake record processor (via
amazon_kclpy's stdio protocol) → Parquet in the emulator's S3 → mirror → DuckDB with the Athena SQL translated.
Duplicates are injected twice (a redelivered subscription record, and a second worker re-reading records after a
lease move with different batch boundaries) and must not change any answer. Expected answers come from
`tests/athena/expected.py`: plain Python over the decoded Kinesis payloads.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from consumers.athena.duckdb_engine import DuckDbEngine
from consumers.athena.engine import open_engine
from consumers.athena.named import render_named_queries
from consumers.athena.result import QueryError
from consumers.athena.totals import lake_totals, totals_from
from consumers.aws import AwsTarget
from consumers.cli import athena_cmd
from consumers.config import Names
from consumers.kcl.lake_processor import LakeRecordProcessor
from consumers.lake.bucket import ensure_bucket, s3_client
from consumers.lake.buffer import BufferLimits
from consumers.lake.writer import LakeWriter
from tests.athena import expected
from tests.lake.envelopes import control_record
from tests.lake.fixture import DAY_MS, Point, generate_events, points_of
from tests.lake.kcl_harness import StdioDaemon
from tests.lake.replay import create_subscribed_stream, put_events, read_stream

#: Result columns rounded by the SQL, and by how much (half a unit of the last kept digit, plus float noise).
ROUNDED = {
    "estimated_cost_usd": 0.0051,
    "list_cost_usd": 6e-7,
    "reported_cost_usd": 6e-7,
    "cache_efficiency": 5.1e-5,
    "cached_input_share": 5.1e-5,
    "acceptance_rate": 5.1e-5,
    "avg_tpm": 0.0051,
    "avg_rpm": 0.0051,
}


@dataclass
class Lake:
    aws: AwsTarget
    bucket: str
    points: list[Point]
    now_ms: int
    engine: DuckDbEngine
    mirror: Path


@pytest.fixture(scope="module")
def lake(emulator: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lake]:
    aws = AwsTarget(endpoint_url=emulator.url, region="us-east-1")
    name = f"acc-{uuid.uuid4().hex[:8]}"
    now_ms = int(time.time() * 1000)
    group, stream = create_subscribed_stream(aws, name, shards=2)
    put_events(aws, group, generate_events(now_ms))
    kinesis = aws.client("kinesis")
    first = read_stream(aws, stream)
    some = next(iter(first.values()))[1]
    kinesis.put_record(StreamName=stream, Data=some.data, PartitionKey="redelivery")  # CloudWatch retried it
    kinesis.put_record(StreamName=stream, Data=control_record(), PartitionKey="control")
    kinesis.put_record(StreamName=stream, Data=b"definitely not gzip", PartitionKey="junk")
    shards = read_stream(aws, stream)

    s3 = s3_client(aws)
    bucket = f"{name}-lake"
    ensure_bucket(s3, bucket, aws.region, create=True)
    writer = LakeWriter(s3, bucket)
    for shard_id, records in shards.items():
        worker = StdioDaemon(LakeRecordProcessor(writer, BufferLimits(max_rows=60, max_age_ms=10**9)))
        worker.initialize(shard_id)
        for i in range(0, len(records), 3):
            worker.process(records[i : i + 3])
        worker.shutdown_requested()
        worker.close()
        assert worker.checkpoints and worker.checkpoints[-1] == (str(records[-1].sequence_number), 0)
        # a second worker takes the lease and re-reads records 1..4 from an older checkpoint
        second = StdioDaemon(LakeRecordProcessor(writer, BufferLimits(max_rows=10**6, max_age_ms=10**9)))
        second.initialize(shard_id)
        second.process(records[1:5])
        second.shutdown_requested()
        second.close()

    points = points_of([r.data for records in shards.values() for r in records])
    mirror = tmp_path_factory.mktemp("mirror")
    engine = open_engine(aws, Names(), "duckdb", cache_dir=mirror, progress=lambda _m: None, bucket=bucket)
    assert isinstance(engine, DuckDbEngine)
    yield Lake(aws, bucket, points, now_ms, engine, mirror)
    engine.close()


def _close(column: str, got: Any, want: Any) -> bool:
    if got is None or want is None:
        return got is None and want is None
    if isinstance(want, float | int) and not isinstance(want, bool):
        return abs(float(got) - float(want)) <= ROUNDED.get(column, 1e-9 * max(1.0, abs(float(want))))
    return bool(got == want)


def _assert_rows(columns: list[str], got: list[tuple[Any, ...]], want: list[tuple[Any, ...]]) -> None:
    assert len(got) == len(want), (got, want)
    for g, w in zip(got, want, strict=True):
        assert all(_close(c, a, b) for c, a, b in zip(columns, g, w, strict=True)), (columns, g, w)


def test_the_lake_holds_every_data_point_once(lake: Lake) -> None:
    (all_count,) = lake.engine.run("SELECT count(*) FROM metrics_all").rows[0]
    (raw_count,) = lake.engine.run("SELECT count(*) FROM metrics_raw").rows[0]
    assert all_count == len(lake.points)
    assert raw_count > all_count  # duplicates were delivered and are in the files
    assert len({p.metric for p in lake.points}) == 8  # every metric is kept, not only token usage


def test_metrics_is_the_seed_relation_and_every_metric_has_its_own(lake: Lake) -> None:
    by_metric = Counter(p.metric for p in lake.points)
    (seed_count,) = lake.engine.run("SELECT count(*) FROM metrics").rows[0]
    assert seed_count == by_metric["claude_code.token.usage"]
    assert lake.engine.run("SELECT DISTINCT metric FROM metrics").rows == [("claude_code.token.usage",)]
    for metric, count in by_metric.items():
        view = "metrics_" + metric.removeprefix("claude_code.").replace(".", "_")
        rows = lake.engine.run(f"SELECT metric, count(*), sum(value) FROM {view} GROUP BY metric").rows
        want = sum(p.value for p in lake.points if p.metric == metric)
        assert [(m, n) for m, n, _ in rows] == [(metric, count)], view
        assert abs(rows[0][2] - want) <= 1e-9 * max(1.0, want), view


#: The seed's printed answers have no NULL totals: its table held token usage only.
SEED_QUERIES = ("top_users_by_tokens", "token_usage_by_model", "activity_by_hour")


@pytest.mark.parametrize("name", SEED_QUERIES)
def test_seed_queries_pasted_unchanged_give_the_seed_answer(lake: Lake, name: str) -> None:
    query = render_named_queries()[name]
    assert "FROM metrics\n" in query.sql
    result = lake.engine.run(query.sql)
    total_column = "total_tokens"
    assert result.rows and all(row[result.columns.index(total_column)] is not None for row in result.rows)
    if name == "token_usage_by_model":
        want = {(p.get("model"), p.get("type")) for p in expected.seed_rows(lake.points, lake.now_ms, 30)}
        assert {row[:2] for row in result.rows} == want


@pytest.mark.parametrize("name", sorted(expected.EXPECTED))
def test_named_query_answers_match_the_fixture(lake: Lake, name: str) -> None:
    query = render_named_queries()[name]
    result = lake.engine.run(query.sql)
    want = expected.EXPECTED[name](lake.points, lake.now_ms)
    assert want, f"the fixture gives {name} nothing to check"
    _assert_rows(result.columns, result.rows, want)


def test_seven_day_queries_exclude_older_data(lake: Lake) -> None:
    old = [p for p in lake.points if p.ts < lake.now_ms - 7 * DAY_MS]
    assert old, "the fixture must have data older than 7 days"
    total_7d = sum(r[1] or 0 for r in lake.engine.run(render_named_queries()["top_users_by_tokens"].sql).rows)
    assert total_7d == sum(p.value for p in lake.points if p.metric == "claude_code.token.usage" and p not in old)


def test_lake_totals_per_window(lake: Lake) -> None:
    to_ms = lake.now_ms
    from_ms = to_ms - 30 * DAY_MS
    got = totals_from(lake.engine, "1h", from_ms, to_ms)
    want = expected.lake_totals(lake.points, 3_600_000, from_ms, to_ms)
    assert got.keys() == want.keys()
    assert all(abs(got[k] - want[k]) < 1e-6 for k in want)

    mid_from, mid_to = to_ms - 3 * DAY_MS, to_ms - 1 * DAY_MS  # a cut through the data, 1-minute windows
    got = totals_from(lake.engine, "1m", mid_from, mid_to)
    want = expected.lake_totals(lake.points, 60_000, mid_from, mid_to)
    assert got.keys() == want.keys() and all(abs(got[k] - want[k]) < 1e-6 for k in want)


def test_lake_totals_entry_point_syncs_from_the_emulator(lake: Lake, tmp_path: Path) -> None:
    to_ms, from_ms = lake.now_ms, lake.now_ms - 30 * DAY_MS
    got = lake_totals(lake.aws, Names(), "1d", from_ms, to_ms, cache_dir=tmp_path, bucket=lake.bucket)
    assert got == pytest.approx(expected.lake_totals(lake.points, DAY_MS, from_ms, to_ms))


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.callback()(lambda: None)
    athena_cmd.register(app)
    return app


def test_cli_run_list_and_show(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCSTREAM_LAKE_BUCKET", lake.bucket)
    runner = CliRunner()
    args = [
        "athena",
        "run",
        "activity_by_hour",
        "--json",
        "--endpoint-url",
        lake.aws.endpoint_url or "",
        "--cache-dir",
        str(lake.mirror),
    ]
    res = runner.invoke(_cli(), args)
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["query"] == "activity_by_hour" and doc["engine"] == "duckdb"
    _assert_rows(doc["columns"], [tuple(r) for r in doc["rows"]], expected.activity_by_hour(lake.points, lake.now_ms))

    res = runner.invoke(_cli(), ["athena", "list", "--json"])
    events = {q for q in render_named_queries() if q.startswith("events_")}  # tests/events/test_events_lake.py
    assert res.exit_code == 0 and {q["name"] for q in json.loads(res.stdout)} == set(expected.EXPECTED) | events
    res = runner.invoke(_cli(), ["athena", "show", "cost_by_model", "--duckdb"])
    assert res.exit_code == 0 and "REGEXP_MATCHES" in res.stdout

    bad = runner.invoke(_cli(), ["athena", "run", "SELECT nope FROM metrics", "--lake-dir", str(lake.mirror)])
    assert isinstance(bad.exception, QueryError) and "nope" in str(bad.exception)
