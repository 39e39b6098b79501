"""Replay tests over the committed fixtures: expected aggregates computed independently from the files
(tests/e2e/independent.py), compared exactly (floats to 1e-9 relative).

The `collector.*` and `midnight.*` fixtures were written by the real collector (tests/fixtures/README.md); their
expected values come from the OTLP the simulated CLI processes sent (`*.otlp.jsonl[.gz]`), read with plain json and
the collector's documented attribute rules (tests/e2e/independent.py::otlp_points), not from the EMF lines."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from pathlib import Path

import pytest

from consumers.aws import AwsTarget
from consumers.config import Tunables
from consumers.model import SourceRecord
from consumers.pipeline import ShardPipeline
from consumers.replay.replay import replay_paths
from consumers.sink.base import Stores
from consumers.sink.dynamodb import DynamoStores
from consumers.sink.memory import MemoryStores
from consumers.status import pipeline_status
from tests.core.tables import create_metrics_table
from tests.core.telemetry import Point
from tests.e2e.harness import deployed_stack
from tests.e2e.independent import (
    FIXTURES,
    emf_fixture,
    kinesis_fixture,
    midnight_emf_points,
    midnight_points,
    otlp_points,
    points_of_line,
)
from tests.e2e.test_aggregator_e2e import assert_aggregates

pytestmark = pytest.mark.emulator


def shards_of(records: list[dict[str, str]], shards: int = 2) -> dict[str, list[SourceRecord]]:
    """Route like Kinesis: MD5 of the partition key over equal hash ranges."""
    out: dict[str, list[SourceRecord]] = {f"shardId-{i:012d}": [] for i in range(shards)}
    for seq, rec in enumerate(records, start=1):
        h = int(hashlib.md5(rec["PartitionKey"].encode()).hexdigest(), 16)
        shard = f"shardId-{h * shards >> 128:012d}"
        data = base64.b64decode(rec["Data"])
        out[shard].append(SourceRecord(shard, 10**50 + seq, 0, rec["PartitionKey"], data, 0))
    return out


def _multiset(points: list[Point]) -> list[tuple[object, ...]]:
    return sorted((p.ts, p.metric, p.value, tuple(sorted(p.attrs.items()))) for p in points)


def test_collector_fixtures_carry_exactly_the_points_that_were_sent() -> None:
    """The captured Kinesis records and the EMF lines hold every OTLP point once, with the collector's labels."""
    sent = otlp_points("collector.otlp.jsonl")
    _, in_kinesis = kinesis_fixture("collector.kinesis.jsonl")
    assert len(sent) > 100
    assert _multiset(in_kinesis) == _multiset(sent)
    assert _multiset(emf_fixture("collector.emf.ndjson")) == _multiset(sent)


def test_midnight_fixtures_carry_exactly_the_points_that_were_sent() -> None:
    """The midnight capture: its Kinesis records hold every OTLP point once; its EMF file the points of its window."""
    sent = midnight_points()
    _, in_kinesis = kinesis_fixture("midnight.kinesis.jsonl")
    assert len(sent) > 3000
    assert _multiset(in_kinesis) == _multiset(sent)
    window = midnight_emf_points()
    assert 100 < len(window) < len(sent)
    assert _multiset(emf_fixture("midnight.emf.ndjson")) == _multiset(window)


def test_collector_fixture_in_process_exact(aws: AwsTarget) -> None:
    records, _ = kinesis_fixture("collector.kinesis.jsonl")
    points = otlp_points("collector.otlp.jsonl")
    client = aws.client("dynamodb")
    table = "fixture-collector"
    create_metrics_table(client, table)
    ddb = DynamoStores(client, table)
    for shard, recs in shards_of(records).items():
        p = ShardPipeline("app", shard, Stores(ddb, ddb, ddb, MemoryStores()), Tunables(), clock_ms=lambda: 0)
        p.process(recs)
        p.remember_checkpoint(p.flush(force=True))  # type: ignore[arg-type]
        assert not [k for k in p.counters.values if k.startswith("dead_letters.")], p.counters.values
        assert p.counters.values["points"] == sum(1 for r in recs for _ in _points_of_record(r))
    from consumers.query.reader import DynamoRowReader

    assert_aggregates(DynamoRowReader(client, table), points)


def _points_of_record(rec: SourceRecord) -> list[Point]:
    env = json.loads(gzip.decompress(rec.data))
    return [p for ev in env["logEvents"] for p in points_of_line(ev["message"])]


def test_midnight_fixture_in_process_exact_and_few_writes(aws: AwsTarget, capsys: pytest.CaptureFixture[str]) -> None:
    records, _ = kinesis_fixture("midnight.kinesis.jsonl")
    points = midnight_points()
    client = aws.client("dynamodb")
    table = "fixture-midnight"
    create_metrics_table(client, table)
    ddb = DynamoStores(client, table)
    clock = [0]
    for shard, recs in shards_of(records).items():
        p = ShardPipeline("app", shard, Stores(ddb, ddb, ddb, MemoryStores()), Tunables(), clock_ms=lambda: clock[0])
        for i in range(0, len(recs), 20):  # KCL-like batches, one flush cadence tick per batch
            p.process(recs[i : i + 20])
            clock[0] += 1000
            snap = p.flush()
            if snap:
                p.remember_checkpoint(snap)
        p.remember_checkpoint(p.flush(force=True))  # type: ignore[arg-type]
    from consumers.query.reader import DynamoRowReader

    assert_aggregates(DynamoRowReader(client, table), points)
    per_point = ddb.write_requests / len(points)
    with capsys.disabled():
        print(
            f"\nmidnight fixture: {len(points)} points, {ddb.write_requests} DynamoDB write requests "
            f"({per_point:.3f} per point; rows, dedup markers and snapshots)"
        )
    assert per_point < 0.5


def test_bad_corpus_outcomes_match_the_hand_written_expectation() -> None:
    expected = json.loads((FIXTURES / "bad.expected.json").read_text())
    records, points = kinesis_fixture("bad.kinesis.jsonl")
    stores = MemoryStores()
    p = ShardPipeline("app", "shardId-000000000000", stores.stores(), Tunables(), clock_ms=lambda: 0)
    src = [
        SourceRecord("shardId-000000000000", i + 1, 0, r["PartitionKey"], base64.b64decode(r["Data"]), 0)
        for i, r in enumerate(records)
    ]
    for rec in src:  # one at a time: a bad record must not spoil its neighbours
        p.process([rec])
    p.flush(force=True)
    got: dict[str, int] = {}
    for dl in stores.letters.values():
        got[dl.reason] = got.get(dl.reason, 0) + 1
    assert got == {k: v for k, v in expected["dead_letters_by_reason"].items() if v}
    assert p.counters.values["points"] == expected["points_kept"] == len(points)
    assert p.counters.values["control_messages"] == expected["control_records"]
    assert all(dl.payload for dl in stores.letters.values())


@pytest.mark.kcl
def test_fixtures_through_the_real_daemon_twice_count_once(aws: AwsTarget, tmp_path: Path) -> None:
    """midnight.kinesis.jsonl via PutRecords twice (the second time is a CloudWatch redelivery: same log events,
    new Kinesis records) and midnight.emf.ndjson via PutLogEvents → the subscription filter → the same stream."""
    with deployed_stack(aws, tmp_path) as stack:
        kin = FIXTURES / "midnight.kinesis.jsonl"
        first = replay_paths(aws, stack.names, [kin])
        replay_paths(aws, stack.names, [kin])
        emf = replay_paths(aws, stack.names, [FIXTURES / "midnight.emf.ndjson"], shift_to_now=True)
        assert emf.log_events_sent == len((FIXTURES / "midnight.emf.ndjson").read_text().splitlines()) == 212
        assert stack.consume(until_idle_s=3, timeout_s=300) == 0
        points = midnight_points() + midnight_emf_points(emf.shifted_by_ms)
        status = pipeline_status(aws.client("kinesis"), aws.client("dynamodb"), stack.names)
        assert status.dead_letters == 0, status.counters
        assert_aggregates(stack.reader, points)
        assert status.get("duplicate_records") == first.kinesis_records_sent  # moto's capture has no control messages
