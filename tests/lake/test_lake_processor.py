"""The lake writer's record processor under amazon_kclpy's stdio protocol, writing to the emulator's S3.

The rule checked throughout: a checkpoint is asked for only after every row of the records up to it is in S3.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from consumers.aws import AwsTarget
from consumers.kcl.lake_processor import LakeRecordProcessor
from consumers.lake.bucket import ensure_bucket, s3_client
from consumers.lake.buffer import BufferLimits
from consumers.lake.writer import LakeWriter
from schemas.lake import arrow_schema
from tests.lake.envelopes import T0, control_record, emf, record
from tests.lake.kcl_harness import KinesisRecord, ProcessExited, StdioDaemon

HOUR_MS = 3_600_000
SHARD = "shardId-000000000007"


def _rec(seq: int, ts: int, n_points: int) -> KinesisRecord:
    events = [
        (f"{seq}-{i}", ts, emf(ts, {"user.id": "u", "session.id": "s"}, {"claude_code.commit.count": i + 1}))
        for i in range(n_points)
    ]
    return KinesisRecord(record(events), seq, T0)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000

    def __call__(self) -> int:
        return self.now


@pytest.fixture()
def lake(aws: AwsTarget) -> Iterator[tuple[object, str]]:
    s3 = s3_client(aws)
    bucket = f"lake-test-{uuid.uuid4().hex[:12]}"
    ensure_bucket(s3, bucket, aws.region, create=True)
    yield s3, bucket


def _objects(s3: object, bucket: str, prefix: str = "") -> dict[str, bytes]:
    out = {}
    for obj in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []):  # type: ignore[attr-defined]
        out[obj["Key"]] = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()  # type: ignore[attr-defined]
    return out


def _start(s3: object, bucket: str, limits: BufferLimits, clock: Clock | None = None, **kw: object) -> StdioDaemon:
    proc = LakeRecordProcessor(LakeWriter(s3, bucket), limits, clock_ms=clock or Clock(), sleep=lambda _s: None, **kw)  # type: ignore[arg-type]
    daemon = StdioDaemon(proc)
    daemon.initialize(SHARD)
    return daemon


def test_checkpoints_only_what_is_in_s3(lake: tuple[object, str]) -> None:
    s3, bucket = lake
    d = _start(s3, bucket, BufferLimits(max_rows=5, max_age_ms=10**9))
    d.process([_rec(100, T0, 2), _rec(101, T0 + HOUR_MS, 2)])  # 4 rows: below the limit
    assert d.checkpoints == [] and _objects(s3, bucket) == {}
    d.process([_rec(102, T0, 3), KinesisRecord(control_record(), 103, T0)])  # 7 rows: flush
    assert d.checkpoints == [("103", 0)]
    files = _objects(s3, bucket, "metrics/")
    assert sorted(files) == [
        f"metrics/year=2025/month=08/day=21/hour=14/{SHARD}-100.0-103.0.parquet",
        f"metrics/year=2025/month=08/day=21/hour=15/{SHARD}-100.0-103.0.parquet",
    ]
    tables = [pq.read_table(io.BytesIO(body)) for body in files.values()]
    assert sum(t.num_rows for t in tables) == 7
    assert all(t.schema.equals(arrow_schema(), check_metadata=False) for t in tables)
    hour14 = pq.read_table(io.BytesIO(files[sorted(files)[0]]))
    assert set(hour14.column("timestamp").to_pylist()) == {T0}

    d.process([_rec(104, T0, 1)])
    d.shutdown_requested()  # flushes the rest and checkpoints it
    assert d.checkpoints == [("103", 0), ("104", 0)]
    assert f"metrics/year=2025/month=08/day=21/hour=14/{SHARD}-104.0-104.0.parquet" in _objects(s3, bucket)
    d.close()


def test_age_limit_flushes_and_bad_records_go_to_the_error_prefix(lake: tuple[object, str]) -> None:
    s3, bucket = lake
    clock = Clock()
    d = _start(s3, bucket, BufferLimits(max_rows=10**6, max_age_ms=60_000), clock)
    d.process([_rec(1, T0, 1), KinesisRecord(b"junk", 2, T0)])
    assert d.checkpoints == []
    clock.now += 60_000
    d.process([_rec(3, T0, 1)])
    assert d.checkpoints == [("3", 0)]
    errors = _objects(s3, bucket, "errors/")
    (key,) = errors
    assert key == f"errors/transform/year=2025/month=08/day=21/hour=14/{SHARD}-1.0-3.0.jsonl"
    assert b'"reason":"bad_gzip"' in errors[key]
    d.close()


def test_lease_lost_drops_the_buffer_and_never_checkpoints(lake: tuple[object, str]) -> None:
    s3, bucket = lake
    d = _start(s3, bucket, BufferLimits(max_rows=100, max_age_ms=10**9))
    d.process([_rec(1, T0, 3)])
    d.lease_lost()
    assert d.checkpoints == [] and _objects(s3, bucket) == {}
    d.close()


def test_shard_end_flushes_then_checkpoints_shard_end(lake: tuple[object, str]) -> None:
    s3, bucket = lake
    d = _start(s3, bucket, BufferLimits(max_rows=100, max_age_ms=10**9))
    d.process([_rec(1, T0, 2)])
    d.shard_ended()
    assert d.checkpoints == [(None, None)]  # checkpoint() without a position = SHARD_END
    assert len(_objects(s3, bucket, "metrics/")) == 1
    d.close()


def test_write_failure_exits_without_checkpoint(aws: AwsTarget, caplog: pytest.LogCaptureFixture) -> None:
    s3 = s3_client(aws)
    d = _start(s3, f"missing-{uuid.uuid4().hex[:8]}", BufferLimits(max_rows=1, max_age_ms=10**9), max_write_attempts=2)
    with pytest.raises(ProcessExited, match="exited with 5"):
        d.process([_rec(1, T0, 1)])
    assert d.checkpoints == []
    assert [r.message.count("failed (attempt") for r in caplog.records].count(1) == 2
    assert any("giving up" in r.message for r in caplog.records)


def test_replaying_the_same_records_overwrites_the_same_objects(lake: tuple[object, str]) -> None:
    s3, bucket = lake
    batch = [_rec(1, T0, 2), _rec(2, T0 + HOUR_MS, 1)]
    for _ in range(2):  # a second worker re-reads from the same checkpoint
        d = _start(s3, bucket, BufferLimits(max_rows=100, max_age_ms=10**9))
        d.process(batch)
        d.shutdown_requested()
        d.close()
        assert d.checkpoints == [("2", 0)]
    assert len(_objects(s3, bucket, "metrics/")) == 2


def test_refused_checkpoint_is_survived(lake: tuple[object, str]) -> None:
    s3, bucket = lake
    d = _start(s3, bucket, BufferLimits(max_rows=1, max_age_ms=10**9))
    d.checkpoint_errors = ["ShutdownException"]
    d.process([_rec(1, T0, 1)])  # written, checkpoint refused: the processor keeps running
    d.process([_rec(2, T0, 1)])
    assert d.checkpoints == [("1", 0), ("2", 0)]
    assert len(_objects(s3, bucket, "metrics/")) == 2
    d.close()


def test_module_entry_point_speaks_the_daemon_protocol(aws: AwsTarget) -> None:
    """`python -m consumers.kcl.lake_processor` as the MultiLangDaemon starts it: env settings, stdio protocol,
    the bucket created on the emulator, files written before the checkpoint is asked for."""
    bucket = f"lake-entry-{uuid.uuid4().hex[:8]}"
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "AWS_ENDPOINT_URL": aws.endpoint_url or "", "AWS_REGION": aws.region,
           "CCSTREAM_LAKE_BUCKET": bucket, "CCSTREAM_LAKE_MAX_ROWS": "1000",
           "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}  # fmt: skip
    rec = _rec(42, T0, 2).to_json()
    script = [
        {"action": "initialize", "shardId": SHARD, "sequenceNumber": "TRIM_HORIZON", "subSequenceNumber": 0},
        {"action": "processRecords", "records": [rec], "millisBehindLatest": 0},
        {"action": "shutdownRequested"},
        {"action": "checkpoint", "sequenceNumber": "42", "subSequenceNumber": 0, "error": None},
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "consumers.kcl.lake_processor"],
        input="".join(json.dumps(m) + "\n" for m in script),
        capture_output=True, text=True, env=env, timeout=60, cwd=str(root),
    )  # fmt: skip
    out = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert proc.returncode == 0, proc.stderr
    assert out == [
        {"action": "status", "responseFor": "initialize"},
        {"action": "status", "responseFor": "processRecords"},
        {"action": "checkpoint", "sequenceNumber": "42", "subSequenceNumber": 0},
        {"action": "status", "responseFor": "shutdownRequested"},
    ]
    keys = list(_objects(s3_client(aws), bucket, "metrics/"))
    assert keys == [f"metrics/year=2025/month=08/day=21/hour=14/{SHARD}-42.0-42.0.parquet"]


def test_an_idle_shard_writes_its_buffer_and_checkpoints_the_last_record(lake: tuple[object, str]) -> None:
    s3, bucket = lake
    clock = Clock()
    d = _start(s3, bucket, BufferLimits(max_rows=10**6, max_age_ms=10**9, idle_flush_ms=5_000), clock)
    d.process([_rec(200, T0, 2), _rec(201, T0, 1)])
    clock.now += 4_999
    d.process([])  # not idle long enough: the buffer waits
    assert d.checkpoints == [] and _objects(s3, bucket) == {}
    clock.now += 1
    d.process([])
    assert d.checkpoints == [("201", 0)]
    (body,) = _objects(s3, bucket, "metrics/").values()
    assert pq.read_table(io.BytesIO(body)).num_rows == 3
    clock.now += 60_000
    d.process([])  # nothing left: no second write, no second checkpoint
    assert d.checkpoints == [("201", 0)] and len(_objects(s3, bucket, "metrics/")) == 1


def test_idle_flush_zero_never_flushes_on_empty_calls(lake: tuple[object, str]) -> None:
    s3, bucket = lake
    clock = Clock()
    d = _start(s3, bucket, BufferLimits(max_rows=10**6, max_age_ms=10**9, idle_flush_ms=0), clock)
    d.process([_rec(300, T0, 1)])
    clock.now += 10**8
    d.process([])
    assert d.checkpoints == [] and _objects(s3, bucket) == {}


def test_a_record_whose_transform_raises_is_quarantined(
    lake: tuple[object, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A poison record (its transform raises: a bug, or an input no rule foresaw) is a `poison_record` dead letter
    with its payload; the records around it are written and the checkpoint passes it."""
    import consumers.kcl.lake_processor as lake_processor

    s3, bucket = lake
    poison = _rec(201, T0, 1)
    real = lake_processor.transform_record

    def transform(data: bytes, source: str, *limits: object) -> object:
        if data == poison.data:
            raise RecursionError("an input no rule foresaw")
        return real(data, source, *limits)  # type: ignore[arg-type]

    monkeypatch.setattr(lake_processor, "transform_record", transform)
    d = _start(s3, bucket, BufferLimits(max_rows=1, max_age_ms=10**9))
    d.process([_rec(200, T0, 2), poison, _rec(202, T0, 3)])
    assert d.checkpoints == [("202", 0)]
    letters = [
        json.loads(line) for body in _objects(s3, bucket, "errors/").values() for line in body.decode().splitlines()
    ]
    assert [(x["reason"], x["source"]) for x in letters] == [("poison_record", f"{SHARD}/201")]
    assert "RecursionError" in letters[0]["detail"]
    rows = sum(pq.read_table(io.BytesIO(b)).num_rows for b in _objects(s3, bucket, "metrics/").values())
    assert rows == 5


def test_rows_per_record_are_capped_as_configured(lake: tuple[object, str]) -> None:
    """`CCSTREAM_LAKE_MAX_RECORD_POINTS`: a record past it gives that many rows and a `record_points_limited`
    letter for the rest, and the shard moves on."""
    from consumers.errors import ConfigError
    from consumers.lake.transform import MAX_RECORD_POINTS, max_record_points_from_env

    assert max_record_points_from_env({}) == MAX_RECORD_POINTS == 50_000
    assert max_record_points_from_env({"CCSTREAM_LAKE_MAX_RECORD_POINTS": "7"}) == 7
    for bad in ("0", "-3", "lots"):
        with pytest.raises(ConfigError):
            max_record_points_from_env({"CCSTREAM_LAKE_MAX_RECORD_POINTS": bad})
    s3, bucket = lake
    d = _start(s3, bucket, BufferLimits(max_rows=1, max_age_ms=10**9), max_record_points=2)
    d.process([_rec(300, T0, 5)])  # 5 events of one point each
    assert d.checkpoints == [("300", 0)]
    rows = sum(pq.read_table(io.BytesIO(b)).num_rows for b in _objects(s3, bucket, "metrics/").values())
    letters = [json.loads(x) for b in _objects(s3, bucket, "errors/").values() for x in b.decode().splitlines()]
    assert rows == 2 and [x["reason"] for x in letters] == ["record_points_limited"]
