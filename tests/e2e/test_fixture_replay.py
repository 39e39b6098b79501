"""Replay tests over the committed fixtures: expected aggregates computed independently from the files
(tests/e2e/independent.py), compared exactly (floats to 1e-9 relative)."""

from __future__ import annotations

import base64
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
from tests.e2e.harness import deployed_stack
from tests.e2e.independent import FIXTURES, emf_fixture, kinesis_fixture
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


def test_midnight_fixture_in_process_exact_and_few_writes(aws: AwsTarget, capsys: pytest.CaptureFixture[str]) -> None:
    records, points = kinesis_fixture("midnight.kinesis.jsonl")
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
    _, kin_points = kinesis_fixture("midnight.kinesis.jsonl")
    with deployed_stack(aws, tmp_path) as stack:
        kin = FIXTURES / "midnight.kinesis.jsonl"
        first = replay_paths(aws, stack.names, [kin])
        replay_paths(aws, stack.names, [kin])
        emf = replay_paths(aws, stack.names, [FIXTURES / "midnight.emf.ndjson"], shift_to_now=True)
        assert emf.log_events_sent == 186
        assert stack.consume(until_idle_s=3, timeout_s=300) == 0
        points = kin_points + emf_fixture("midnight.emf.ndjson", emf.shifted_by_ms)
        status = pipeline_status(aws.client("kinesis"), aws.client("dynamodb"), stack.names)
        assert status.dead_letters == 0, status.counters
        assert_aggregates(stack.reader, points)
        assert status.get("duplicate_records") == first.kinesis_records_sent - 4  # 4 control messages
