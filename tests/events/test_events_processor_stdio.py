"""The events processor driven through amazon_kclpy's stdio protocol (no JVM) against the emulator: checkpoints
only after rows, lake files and dead letters landed; a bad record never stops the shard. The real
MultiLangDaemon runs it in tests/realcli."""

from __future__ import annotations

import json
import math
import uuid

import pytest

from consumers.aws import AwsTarget
from consumers.config import Names, Tunables
from consumers.kcl.events_processor import EventsProcessor, EventsSettings
from consumers.query.events import query_events
from consumers.query.reader import DynamoRowReader
from tests.core.tables import create_metrics_table
from tests.events import oracle
from tests.events.generator import SPAN, START, random_records
from tests.kcl_processor.stdio import batches_then_shutdown, kcl_record, run_stdio

pytestmark = pytest.mark.emulator
SHARD = "shardId-000000000003"


def _record(seq: int, data: bytes) -> dict[str, object]:
    return kcl_record(seq, data, START + SPAN)


def test_events_processor_checkpoints_after_rows_and_lake_files(
    aws: AwsTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    suffix = uuid.uuid4().hex[:8]
    names = Names(prefix=f"ev{suffix[:6]}", table=f"t-{suffix}")
    create_metrics_table(aws.client("dynamodb"), names.table)
    dead, lake = f"dl-{suffix}", f"lake-{suffix}"
    aws.client("s3").create_bucket(Bucket=dead)
    monkeypatch.setenv("CCSTREAM_LAKE_BUCKET", lake)
    monkeypatch.setenv("CCSTREAM_PUBLISH_METRICS", "0")
    tunables = Tunables(flush_interval_ms=0, user_flush_interval_ms=0, size_flush_interval_ms={})
    settings = EventsSettings(names, tunables, aws, deadletter_bucket=dead)
    by_shard, events = random_records(13, 12, shards=1)
    recs = [_record(seq, data) for seq, data, _ in by_shard["shardId-000000000000"]]
    recs.insert(3, _record(recs[2]["sequenceNumber"] + "0", b"not gzip"))  # type: ignore[operator]
    recs.sort(key=lambda r: int(str(r["sequenceNumber"])))
    batches = [recs[:5], recs[5:]]
    monkeypatch.setenv("CCSTREAM_LAKE_FLUSH_INTERVAL_MS", "0")
    sent = run_stdio(EventsProcessor(settings), batches_then_shutdown(SHARD, batches))
    assert [o["sequenceNumber"] for o in sent if o["action"] == "checkpoint"] == [
        b[-1]["sequenceNumber"] for b in batches
    ]

    reader = DynamoRowReader(aws.client("dynamodb"), names.table)
    for name, field, stat, by in oracle.QUERIES:
        metric = f"events.{name}" + (f".{field}" if field else "")
        exp = oracle.expected(events, 3_600_000, name, field, stat, by)
        got = {
            (r.window_start_ms, *(r.labels[a] for a in by)): r.value
            for r in query_events(reader, metric, "1h", by, 0, 2**62, stat)
        }
        assert got.keys() == exp.keys(), metric
        assert all(math.isclose(got[k], v, rel_tol=0.01 if stat.startswith("p") else 1e-12) for k, v in exp.items())
    s3 = aws.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=lake, Prefix="events/").get("Contents", [])]
    assert keys and all(k.endswith(".parquet") and "/hour=" in k for k in keys)
    (key,) = [o["Key"] for o in s3.list_objects_v2(Bucket=dead).get("Contents", [])]
    body = s3.get_object(Bucket=dead, Key=key)["Body"].read().decode()
    assert [json.loads(line)["reason"] for line in body.splitlines() if line.strip()] == ["bad_gzip"]
