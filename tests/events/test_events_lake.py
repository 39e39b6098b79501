"""The events table: Parquet written by the events consumer, read back with the same SQL as Athena (DuckDB), equal
to an independent computation; replays never duplicate an event through the `events` view; no content."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from consumers.athena.duckdb_engine import DuckDbEngine
from consumers.athena.named import render_named_queries
from consumers.config import Tunables
from consumers.events_pipeline import EventsPipeline
from consumers.lake.events import EventsLake
from consumers.sink.memory import MemoryStores
from schemas.events_lake import EVENT_COLUMN_NAMES, glue_table_input
from tests.athena.test_athena_template import _resources
from tests.events import oracle
from tests.events.generator import SECRET, SPAN, random_records
from tests.events.test_events_pipeline import source_records

HOUR = 3_600_000


class FolderS3:
    """put_object into a folder laid out like the bucket (what the lake mirror holds)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.puts = 0

    def put_object(self, Bucket: str, Key: str, Body: bytes) -> dict[str, Any]:
        path = self.root / Key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(Body)
        self.puts += 1
        return {}


def _write_lake(root: Path, start: int, replay: bool) -> list[dict[str, Any]]:
    by_shard, events = random_records(31, 80, start=start)
    s3 = FolderS3(root)
    for shard, recs in source_records(by_shard).items():
        runs = [recs, recs[len(recs) // 2 :]] if replay else [recs]  # a replay of the second half, other batches
        for i, batch in enumerate(runs):
            stores = MemoryStores()
            lake = EventsLake(s3, "lake", shard, interval_ms=10**9)
            pipe = EventsPipeline("events", shard, stores.stores(), Tunables(), lake=lake)
            for j in range(0, len(batch), 7 + i):
                pipe.process(batch[j : j + 7 + i])
                pipe.flush()
            pipe.flush(force=True)
    assert s3.puts > 0
    return events


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    root = tmp_path_factory.mktemp("events-lake")
    now = int(time.time() * 1000)
    start = now - now % HOUR - SPAN  # inside every named query's "last 7 days"
    return root, _write_lake(root, start, replay=True)


def test_rows_equal_the_events_and_replays_are_removed_by_the_view(lake: tuple[Path, list[dict[str, Any]]]) -> None:
    root, events = lake
    engine = DuckDbEngine(root)
    raw = engine.run("SELECT COUNT(*) FROM events_raw").rows[0][0]
    assert raw > len(events)  # the replay wrote some events twice
    got = engine.run(
        "SELECT event_name, model, tool_name, COUNT(*), SUM(cost_usd_micros), SUM(duration_ms) FROM events "
        "GROUP BY event_name, model, tool_name"
    ).rows
    exp: dict[tuple[Any, ...], list[int]] = {}
    for e in events:
        a = e["attrs"]
        key = (e["name"], a.get("model"), a.get("tool_name"))
        acc = exp.setdefault(key, [0, 0, 0])
        acc[0] += 1
        acc[1] += int(float(a.get("cost_usd_micros", 0)))
        acc[2] += int(float(a.get("duration_ms", 0)))
    assert {tuple(r[:3]): [r[3], r[4] or 0, r[5] or 0] for r in got} == exp


def test_named_queries_run_on_duckdb_and_agree_with_the_oracle(lake: tuple[Path, list[dict[str, Any]]]) -> None:
    root, events = lake
    engine = DuckDbEngine(root)
    queries = {n: q for n, q in render_named_queries().items() if n.startswith("events_")}
    assert set(queries) == {
        "events_api_latency_by_model",
        "events_error_rate_by_day",
        "events_tool_reliability",
        "events_cost_by_query_source",
    }
    results = {n: engine.run(q.sql) for n, q in queries.items()}
    latency = {r[0]: r for r in results["events_api_latency_by_model"].rows}
    requests = oracle.expected(events, 10**13, "api_request", None, "count", ("model",))
    assert {m: latency[m][1] for m in latency} == {m: n for (_, m), n in requests.items()}
    tools = {
        r[0]: dict(zip(results["events_tool_reliability"].columns, r, strict=True))
        for r in results["events_tool_reliability"].rows
    }
    rates = oracle.expected(events, 10**13, "tool_result", None, "success_rate", ("tool_name",))
    for (_, tool), rate in rates.items():
        assert math.isclose(tools[tool]["success_rate"], rate, abs_tol=1e-6)
    decisions = oracle.expected(events, 10**13, "tool_decision", None, "count", ("tool_name", "decision"))
    for (_, tool, decision), n in decisions.items():
        assert tools[tool]["accepted" if decision == "accept" else "rejected"] == n
    cost = results["events_cost_by_query_source"]
    total = sum(v for v in oracle.expected(events, 10**13, "api_request", "cost_usd_micros", "sum", ()).values())
    assert math.isclose(sum(r[cost.columns.index("cost_usd")] for r in cost.rows), total / 1e6, rel_tol=1e-12)
    errors = results["events_error_rate_by_day"]
    assert sum(r[errors.columns.index("errors")] for r in errors.rows) == sum(e["name"] == "api_error" for e in events)


def test_no_content_and_lengths_only_with_the_switch(tmp_path: Path) -> None:
    by_shard, _ = random_records(5, 20, shards=1)
    ((shard, recs),) = source_records(by_shard).items()
    for keep in (False, True):
        s3 = FolderS3(tmp_path / str(keep))
        pipe = EventsPipeline(
            "events", shard, MemoryStores().stores(), Tunables(), keep_lengths=keep, lake=EventsLake(s3, "b", shard)
        )
        pipe.process(recs)
        pipe.flush(force=True)
        tables = [pq.read_table(p) for p in (tmp_path / str(keep)).rglob("*.parquet")]
        assert tables and all(t.column_names == list(EVENT_COLUMN_NAMES) for t in tables)
        assert all(SECRET not in str(t.to_pylist()) for t in tables)
        lengths = [v for t in tables for v in t.column("prompt_length").to_pylist() if v is not None]
        assert bool(lengths) is keep


def test_the_template_has_the_events_table() -> None:
    (table,) = [
        t for t in _resources("AWS::Glue::Table").values() if t["Properties"]["TableInput"]["Name"] == "events_raw"
    ]
    got = table["Properties"]["TableInput"]
    want = glue_table_input("s3://x/events/")
    assert got["StorageDescriptor"]["Columns"] == want["StorageDescriptor"]["Columns"]
    assert got["PartitionKeys"] == want["PartitionKeys"]
    template = got["Parameters"]["storage.location.template"]
    assert template == {
        "Fn::Join": [
            "",
            ["s3://", {"Ref": "LakeBucket"}, "/events/year=${year}/month=${month}/day=${day}/hour=${hour}/"],
        ]
    }
    assert got["Parameters"]["projection.enabled"] == "true"
