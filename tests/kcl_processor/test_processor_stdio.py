"""The aggregator processor driven through amazon_kclpy's own stdio protocol (no JVM), against the emulator.

The full MultiLangDaemon path is covered by tests/e2e; this harness makes the protocol details (checkpoint
messages, shutdown, shard end, lease loss) fast to test.
"""

from __future__ import annotations

import base64
import json
import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from consumers.aws import AwsTarget
from consumers.config import Names, Tunables
from consumers.kcl.processor import AggregatorProcessor, ProcessorSettings
from consumers.query.api import query_metric
from consumers.query.reader import DynamoRowReader
from tests.core.tables import create_metrics_table
from tests.core.telemetry import envelope_bytes, expected_totals, random_events
from tests.kcl_processor.stdio import batches_then_shutdown, kcl_record, run_stdio

pytestmark = pytest.mark.emulator
T0 = 1_763_679_600_000
SHARD = "shardId-000000000007"


def _record(seq: int, data: bytes) -> dict[str, object]:
    return kcl_record(seq, data, T0 + 10**8)


@pytest.fixture()
def settings(aws: AwsTarget) -> ProcessorSettings:
    table = f"t-{uuid.uuid4().hex[:8]}"
    bucket = f"dl-{uuid.uuid4().hex[:8]}"
    create_metrics_table(aws.client("dynamodb"), table)
    aws.client("s3").create_bucket(Bucket=bucket)
    return ProcessorSettings(
        Names(prefix=f"p{uuid.uuid4().hex[:6]}", table=table),
        Tunables(flush_interval_ms=0, user_flush_interval_ms=0, size_flush_interval_ms={}),
        aws,
        deadletter_bucket=bucket,
    )


def test_batches_are_checkpointed_after_rows_land(settings: ProcessorSettings) -> None:
    rng = random.Random(5)
    points, batches, seq = [], [], 10**50
    for _ in range(4):
        recs = []
        for _ in range(3):
            evs = random_events(rng, 4, T0, 3_600_000)
            for _, _, pts in evs:
                points.extend(pts)
            seq += 1
            recs.append(_record(seq, envelope_bytes("s", [(i, ts, ln) for i, (ts, ln, _) in enumerate(evs)])))
        batches.append(recs)
    out = run_stdio(AggregatorProcessor(settings), batches_then_shutdown(SHARD, batches))
    checkpoints = [o for o in out if o["action"] == "checkpoint"]
    assert [c["sequenceNumber"] for c in checkpoints] == [b[-1]["sequenceNumber"] for b in batches]
    assert out[-1] == {"action": "status", "responseFor": "shutdownRequested"}

    reader = DynamoRowReader(settings.target.client("dynamodb"), settings.names.table)
    got = {
        (r.window_start_ms, r.labels.get("department")): r.value
        for r in query_metric(reader, "claude_code.commit.count", "1h", ("department",), 0, 2**62)
    }
    exp = {
        (k[0], k[2]): v
        for k, v in expected_totals(points, 3_600_000, ("department",)).items()
        if k[1] == "claude_code.commit.count"
    }
    assert got == exp


def test_shard_end_checkpoints_at_shard_end(settings: ProcessorSettings) -> None:
    rec = _record(10**50 + 1, envelope_bytes("s", [(1, T0, random_events(random.Random(1), 1, T0, 1000)[0][1])]))
    lines: list[dict[str, object]] = [
        {"action": "initialize", "shardId": SHARD, "sequenceNumber": "TRIM_HORIZON", "subSequenceNumber": 0},
        {"action": "processRecords", "records": [rec], "millisBehindLatest": 0},
        {"action": "checkpoint", "sequenceNumber": rec["sequenceNumber"], "subSequenceNumber": 0, "error": None},
        {"action": "shardEnded"},
        {"action": "checkpoint", "sequenceNumber": "SHARD_END", "subSequenceNumber": 0, "error": None},
    ]
    out = run_stdio(AggregatorProcessor(settings), lines)
    cps = [o for o in out if o["action"] == "checkpoint"]
    assert cps[-1]["sequenceNumber"] is None  # checkpoint() with no argument = SHARD_END


def test_bad_records_never_stop_the_shard(settings: ProcessorSettings) -> None:
    good = envelope_bytes("s", [(1, T0, random_events(random.Random(2), 1, T0, 1000)[0][1])])
    recs = [_record(10**50 + 1, b"garbage"), _record(10**50 + 2, good)]
    lines: list[dict[str, object]] = [
        {"action": "initialize", "shardId": SHARD, "sequenceNumber": "TRIM_HORIZON", "subSequenceNumber": 0},
        {"action": "processRecords", "records": recs, "millisBehindLatest": 0},
        {"action": "checkpoint", "sequenceNumber": recs[-1]["sequenceNumber"], "subSequenceNumber": 0, "error": None},
    ]
    out = run_stdio(AggregatorProcessor(settings), lines)
    assert [o["sequenceNumber"] for o in out if o["action"] == "checkpoint"] == [recs[-1]["sequenceNumber"]]
    s3 = settings.target.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=settings.deadletter_bucket)["Contents"]]
    assert len(keys) == 1
    body = json.loads(s3.get_object(Bucket=settings.deadletter_bucket, Key=keys[0])["Body"].read())
    assert body["reason"] == "bad_gzip"
    assert base64.b64decode(body["payload"]) == b"garbage"
    # the dead-letter alarm's metric (infra/streaming.yaml) was published once, with this application's name
    cw = settings.target.client("cloudwatch")
    stats = cw.get_metric_statistics(
        Namespace="ClaudeCode",
        MetricName="DeadLetterRecords",
        Dimensions=[{"Name": "Application", "Value": settings.names.consumer_app}],
        StartTime=datetime.now(UTC) - timedelta(hours=1),
        EndTime=datetime.now(UTC) + timedelta(minutes=5),
        Period=3600,
        Statistics=["Sum"],
    )["Datapoints"]
    assert sum(d["Sum"] for d in stats) == 1.0


def test_the_aggregator_beats_and_reports_dead_letters_by_reason(settings: ProcessorSettings, aws: AwsTarget) -> None:
    """The alarms of infra/streaming.yaml read ClaudeCode/Heartbeat and ClaudeCode/DeadLetters per Reason."""
    good = envelope_bytes("s", [(1, T0, random_events(random.Random(3), 1, T0, 1000)[0][1])])
    recs = [_record(10**50 + 1, b"garbage"), _record(10**50 + 2, good)]
    run_stdio(AggregatorProcessor(settings), batches_then_shutdown(SHARD, [recs]))
    cw = aws.client("cloudwatch")
    app = {"Name": "Application", "Value": settings.names.consumer_app}
    beats = cw.list_metrics(Namespace="ClaudeCode", MetricName="Heartbeat", Dimensions=[app])["Metrics"]
    assert len(beats) == 1
    letters = cw.list_metrics(Namespace="ClaudeCode", MetricName="DeadLetters", Dimensions=[app])["Metrics"]
    reasons = {d["Value"] for m in letters for d in m["Dimensions"] if d["Name"] == "Reason"}
    assert reasons == {"bad_gzip"}
