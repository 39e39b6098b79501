"""Smoke runs of the peers, dashboard and real-CLI freshness benchmarks on tiny inputs, and checks of their parts.

Nothing here looks at how long anything took. The peers smoke captures a few developers through the real
collector, then runs every engine that fits in CI (Flink does not: a 500 MB install and ~20 s of JVM CPU per job;
its SQL is checked below instead) and requires every engine's totals to agree key by key.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import msgspec
import pytest

from benchmarks import dashboard_rows, peer_totals, peers, realcli_freshness
from benchmarks.peer_jobs import flink_job
from benchmarks.peer_jobs.points import points_of
from benchmarks.references import NaiveAggregator
from benchmarks.workload import WorkloadSpec, build_workload, kcl_batches
from consumers.aggregates.dimensions import GROUPABLE_ATTRIBUTES
from consumers.config import Tunables
from consumers.dashboard.timerange import DAY_MS, HOUR_MS
from consumers.model import RowKey, SourceRecord
from consumers.pipeline import ShardPipeline
from consumers.sink.memory import MemoryStores
from schemas.catalogue import METRICS
from schemas.prices import load_prices

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _collector_records() -> list[SourceRecord]:
    out = []
    for i, line in enumerate((FIXTURES / "collector.kinesis.jsonl").read_text().splitlines()):
        rec = json.loads(line)
        out.append(SourceRecord("shardId-000000000000", i + 1, 0, rec["PartitionKey"], _b64(rec["Data"]), 0))
    return out


def _b64(text: str) -> bytes:
    import base64

    return base64.b64decode(text)


def test_the_peers_point_reader_agrees_with_the_naive_baseline_on_real_collector_records() -> None:
    records = _collector_records()
    naive = NaiveAggregator(load_prices())
    naive.process(records)
    groups, users, distinct = [], [], {}
    for rec in records:
        envelope = json.loads(gzip.decompress(rec.data))
        for event in envelope.get("logEvents", []):
            for ts, group, user, metric, value in points_of(json.loads(event["message"]), GROUPABLE_ATTRIBUTES):
                for size, ms in peers.SIZES_MS.items():
                    start = ts - ts % ms
                    groups.append([size, start, group, metric, value])
                    if user is not None:
                        users.append([size, start, user, metric, value])
                        distinct.setdefault((size, start), set()).add(user)
    ours = peer_totals.of_rows(groups, users, [[s, t, len(u)] for (s, t), u in distinct.items()])
    assert naive.points == len(groups) // 3 > 0
    assert peer_totals.differences(peer_totals.of_naive(naive), ours) == []


def test_differences_name_missing_extra_and_different_keys() -> None:
    want = {("G", "1m", 0, "a", "m"): 1.0, ("G", "1m", 0, "b", "m"): 2.0}
    got = {("G", "1m", 0, "a", "m"): 1.5, ("U", "1m", 0, "u", "m"): 1.0}
    found = " ".join(peer_totals.differences(want, got))
    assert "1 missing" in found and "1 unexpected" in found and "1 different" in found
    assert peer_totals.differences(want, dict(want)) == []


def test_pipeline_totals_match_the_naive_baseline_on_simulated_records() -> None:
    workload = build_workload(WorkloadSpec(users=15, minutes=3, shards=1))
    records = workload.all_records()
    pipe = ShardPipeline("t", "shardId-000000000000", MemoryStores().stores(), Tunables(), clock_ms=lambda: 0)
    for batch in kcl_batches(records, 5):
        pipe.process(batch)
    naive = NaiveAggregator(load_prices())
    naive.process(records)
    expected = peer_totals.of_naive(naive)
    assert any(k[0] == "D" for k in expected) and any(k[0] == "U" for k in expected)
    assert peer_totals.differences(expected, peer_totals.of_pipeline(pipe)) == []


def test_flink_sql_has_one_window_per_size_and_every_metric() -> None:
    spec = {
        "input": "/in",
        "output_dir": "/out",
        "groupable": list(GROUPABLE_ATTRIBUTES),
        "metrics": sorted(METRICS),
        "sizes": peers.SIZES_MS,
    }
    ddl, inserts = flink_job.statements(spec)
    assert flink_job.interval(60_000) == "INTERVAL '1' MINUTE" and flink_job.interval(86_400_000) == "INTERVAL '1' DAY"
    assert len(inserts) == 3 * len(peers.SIZES_MS)
    assert sum("INTERVAL '1' HOUR" in s for s in inserts) == 3
    assert all(f"`{m}`" in ddl[0] for m in METRICS) and "WATERMARK FOR ts" in ddl[0]
    assert "`team.id`" in ddl[1] and "UNNEST" in ddl[1]


def test_flink_output_rows_become_totals(tmp_path: Path) -> None:
    (tmp_path / "out_groups").mkdir()
    (tmp_path / "out_users").mkdir()
    (tmp_path / "out_distinct").mkdir()
    row = {"size": "1h", "ws": "2026-12-02 15:00:00.000", "k": "g", "metric": "claude_code.commit.count", "total": 2}
    (tmp_path / "out_groups" / "part-0").write_text(json.dumps(row) + "\n")
    (tmp_path / "out_groups" / ".part-1.inprogress").write_text("not json")
    (tmp_path / "out_distinct" / "part-0").write_text('{"size": "1h", "ws": "2026-12-02 15:00:00", "n": 4}\n')
    totals = peer_totals.of_flink(tmp_path)
    start = 1_796_223_600_000  # 2026-12-02T15:00:00Z
    assert totals == {("G", "1h", start, "g", "claude_code.commit.count"): 2.0, ("D", "1h", start, "", ""): 4.0}


@pytest.mark.emulator
@pytest.mark.timeout(600)
def test_peers_smoke_run_agrees_across_engines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--users", "20", "--minutes", "2", "--cache-dir", str(tmp_path)]
    assert peers.main([*args, "--engines", "floor,naive,ours,duckdb,bytewax"]) == 0  # 1 on any mismatch
    out = capsys.readouterr().out
    assert "real collector output: 20 simulated developers" in out
    for engine in ("ours: same", "duckdb: same", "bytewax: same", "naive: same"):
        assert engine in out


def test_spread_fills_a_month_from_a_template() -> None:
    rows = _template()
    month, end_ms = dashboard_rows.spread(rows, 3, days=3, minute_hours=2, day_users=40)
    keys = [k for _, k in month]
    assert end_ms == dashboard_rows.DAY_START_MS + DAY_MS
    hours = {k.start_ms for k in keys if k.size == "1h"}
    assert hours == set(range(end_ms - 3 * DAY_MS, end_ms, HOUR_MS))
    minutes = {k.start_ms for k in keys if k.size == "1m"}
    assert min(minutes) == end_ms - 2 * HOUR_MS and len(minutes) == 120
    template_users = {u for (_, k), r in rows.items() if k.kind == "U" and k.size == "1d" for u in r.doc["users"]}
    day = [r for (_, k), r in month.items() if k.kind == "U" and k.size == "1d" and k.start_ms == end_ms - DAY_MS]
    copies = round(40 / len(template_users))
    assert len({u for r in day for u in r.doc["users"]}) == len(template_users) * copies


def _template() -> dict[tuple[str, RowKey], object]:
    workload = build_workload(WorkloadSpec(users=12, minutes=3, start_ms=dashboard_rows.DAY_START_MS, shards=1))
    stores = MemoryStores()
    for shard, records in workload.records.items():
        pipe = ShardPipeline("t", shard, stores.stores(), Tunables(), clock_ms=lambda: 0)
        for batch in kcl_batches(records):
            pipe.process(batch)
        pipe.flush(force=True)
    assert stores.rows
    return stores.rows  # type: ignore[return-value]


def test_latest_peak_start_is_a_wednesday_15_utc_that_has_ended() -> None:
    from datetime import UTC, datetime

    from benchmarks.real_lines import latest_peak_start

    now = int(datetime(2026, 12, 2, 15, 5, tzinfo=UTC).timestamp() * 1000)  # a Wednesday, 15:05: too early
    start = datetime.fromtimestamp(latest_peak_start(now, 10) / 1000, UTC)
    assert start == datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    later = int(datetime(2026, 12, 5, 17, 0, tzinfo=UTC).timestamp() * 1000)
    assert datetime.fromtimestamp(latest_peak_start(later, 10) / 1000, UTC) == datetime(2026, 12, 2, 15, tzinfo=UTC)


@pytest.mark.timeout(600)
def test_dashboard_latency_runs_on_a_spread_month(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import dashboard_latency

    args = ["--users", "12", "--minutes", "3", "--days", "2", "--minute-hours", "1", "--repeat", "1"]
    assert dashboard_latency.main([*args, "--reader", "memory", "--range", "1d", "--cache-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "[memory] range last 1d" in out and "whole page (HTTP)" in out and "targets (p95" in out


@pytest.mark.timeout(600)
def test_dashboard_latency_on_dynamodb_local_in_a_private_network(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from benchmarks import dashboard_latency, dynamodb_local
    from consumers.emulator.localstack import can_make_private_network

    problem = can_make_private_network() or (
        None if (dynamodb_local.JAR_DIR / "DynamoDBLocal.jar").is_file() else "DynamoDB Local is not cached"
    )
    if problem:
        pytest.skip(problem)
    args = ["--users", "12", "--minutes", "3", "--days", "1", "--minute-hours", "1", "--repeat", "1"]
    assert dashboard_latency.main([*args, "--reader", "ddblocal", "--range", "3h", "--cache-dir", str(tmp_path)]) == 0
    out = capfd.readouterr().out
    assert "[DynamoDB Local 3.3.1," in out and "whole page (HTTP)" in out


def test_freshness_settings_parse_name_and_timeout() -> None:
    assert realcli_freshness.Setting.parse("production=10s") == realcli_freshness.Setting("production", "10s")
    assert [s.batch_timeout for s in realcli_freshness.DEFAULT_SETTINGS] == ["10s", "0s"]
    with pytest.raises(Exception, match="NAME=TIMEOUT"):
        realcli_freshness.Setting.parse("10s")
    assert "p95 3.00 s" in realcli_freshness.summary("x", [1.0, 2.0, 3.0])


def test_msgpack_cache_round_trips_records(tmp_path: Path) -> None:
    from benchmarks.real_lines import RealLines

    rec = SourceRecord("s", 1, 0, "pk", b"\x1f\x8b data", 5)
    lines = RealLines(1, 1, 7, 0, 1, 1, 1, 10, [rec])
    assert msgspec.msgpack.decode(msgspec.msgpack.encode(lines), type=RealLines).records == [rec]


def test_one_shard_view_orders_by_arrival_and_numbers_positions_upwards() -> None:
    from benchmarks.real_lines import RealLines, as_one_shard

    recs = [
        SourceRecord("shardId-000000000001", 7, 0, "b", b"2", 20),
        SourceRecord("shardId-000000000000", 9, 0, "a", b"1", 10),
        SourceRecord("shardId-000000000000", 10, 0, "c", b"3", 20),
    ]
    one = as_one_shard(RealLines(1, 1, 7, 0, 1, 1, 1, 1, recs)).records
    assert [r.data for r in one] == [b"1", b"3", b"2"]
    assert {r.shard_id for r in one} == {"shardId-000000000000"}
    assert [r.sequence_number for r in one] == sorted({r.sequence_number for r in one})
