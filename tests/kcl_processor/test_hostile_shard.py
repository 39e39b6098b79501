"""One bad client never stalls a shard: the review's cases, a record that crashes decoding, a transient store
failure, and the idle flush — through the real processor over amazon_kclpy's stdio protocol, on the emulator.

Expected totals are counted from the lines built here (one commit per line), never read back from ccstream code.
"""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from typer.testing import CliRunner

from consumers.aws import AwsTarget
from consumers.cli.app import app
from consumers.config import Names, Tunables
from consumers.dashboard.charts import Charts
from consumers.dashboard.config import DashboardConfig
from consumers.dashboard.data import DashboardData
from consumers.dashboard.timerange import TimeRange
from consumers.dashboard.widgets.context import WidgetContext
from consumers.dashboard.widgets.people import active_users
from consumers.errors import SinkRetryableError
from consumers.kcl.processor import AggregatorProcessor, ProcessorSettings
from consumers.query.api import query_metric
from consumers.query.reader import DynamoRowReader
from consumers.sink.dynamodb import DynamoStores
from consumers.windows.definitions import iso
from tests.core.tables import create_metrics_table
from tests.core.telemetry import emf_line, envelope_bytes
from tests.kcl_processor.stdio import batches_then_shutdown, run_stdio
from tests.kcl_processor.test_processor_stdio import SHARD, T0, _record

pytestmark = pytest.mark.emulator
COMMITS = "claude_code.commit.count"
DAY = 86_400_000


def make_settings(aws: AwsTarget, tunables: Tunables) -> ProcessorSettings:
    table = f"t-{uuid.uuid4().hex[:8]}"
    bucket = f"dl-{uuid.uuid4().hex[:8]}"
    create_metrics_table(aws.client("dynamodb"), table)
    aws.client("s3").create_bucket(Bucket=bucket)
    return ProcessorSettings(Names(prefix=f"p{uuid.uuid4().hex[:6]}", table=table), tunables, aws, bucket)


FAST = Tunables(flush_interval_ms=0, user_flush_interval_ms=0, size_flush_interval_ms={})


def records_of(lines: list[str], per_record: int = 500, first_seq: int = 10**50) -> list[dict[str, object]]:
    """Subscription records of at most `per_record` log events each (CloudWatch's packing)."""
    out = []
    for n, start in enumerate(range(0, len(lines), per_record)):
        chunk = lines[start : start + per_record]
        events = [(f"{start + i}", T0 + 1000, ln) for i, ln in enumerate(chunk)]
        out.append(_record(first_seq + n, envelope_bytes("s", events)))
    return out


def one_batch_then_shutdown(recs: list[dict[str, object]]) -> list[dict[str, object]]:
    return batches_then_shutdown(SHARD, [recs])


def checkpoints(out: list[dict[str, object]]) -> list[object]:
    return [o["sequenceNumber"] for o in out if o["action"] == "checkpoint"]


def commits(settings: ProcessorSettings, size: str, by: tuple[str, ...] = ()) -> dict[tuple[str, ...], float]:
    reader = DynamoRowReader(settings.target.client("dynamodb"), settings.names.table)
    return {
        tuple(r.labels[a] for a in by): r.value for r in query_metric(reader, COMMITS, size, by, T0 - DAY, T0 + DAY)
    }


def latest_counters(settings: ProcessorSettings) -> dict[str, int]:
    stores = DynamoStores(settings.target.client("dynamodb"), settings.names.table)
    snaps = stores.load_snapshots(settings.names.consumer_app, SHARD)
    return max(snaps, key=lambda s: s.position).counters


def test_26000_departments_in_a_minute_fold_into_other_and_the_shard_moves(aws: AwsTarget) -> None:
    settings = make_settings(aws, FAST)
    lines = [
        emf_line(T0 + 1000, {"user.id": "u1", "department": f"dep-{i:05d}"}, {COMMITS: 1.0}) for i in range(26_000)
    ]
    recs = records_of(lines)
    out = run_stdio(AggregatorProcessor(settings), one_batch_then_shutdown(recs))
    assert checkpoints(out) == [recs[-1]["sequenceNumber"]]
    assert commits(settings, "1m") == {(): 26_000.0}  # the total is exact
    by_dep = commits(settings, "1m", ("department",))
    limit = Tunables().max_groups_per_window
    assert len(by_dep) == limit + 1 and by_dep["__other__",] == 26_000 - limit
    assert sum(by_dep.values()) == 26_000.0
    counters = latest_counters(settings)
    assert counters["limits.groups_overflow.1m"] == counters["limits.groups_overflow.1d"] == 26_000 - limit


def test_a_ci_bot_with_18000_sessions_a_day_is_counted_approximately(aws: AwsTarget) -> None:
    settings = make_settings(aws, FAST)
    lines = [emf_line(T0 + 1000, {"user.id": "ci-bot", "session.id": f"s-{i}"}, {COMMITS: 1.0}) for i in range(18_000)]
    recs = records_of(lines)
    out = run_stdio(AggregatorProcessor(settings), one_batch_then_shutdown(recs))
    assert checkpoints(out) == [recs[-1]["sequenceNumber"]]
    reader = DynamoRowReader(settings.target.client("dynamodb"), settings.names.table)
    (sessions,) = query_metric(reader, "sessions", "1d", (), T0 - DAY, T0 + DAY)
    assert abs(sessions.value - 18_000) < 18_000 * 0.05
    assert sessions.approximate is True  # the count comes from the bot's HLL sketch, and says so
    assert commits(settings, "1d") == {(): 18_000.0}
    assert latest_counters(settings)["limits.sessions_approximate.1d"] == 1
    # what a person sees: `ccstream query sessions` (JSON and table) and the dashboard's Active Users widget
    env = {"AWS_ENDPOINT_URL": aws.endpoint_url or "", "AWS_REGION": aws.region, "CCSTREAM_TABLE": settings.names.table}
    args = ["query", "sessions", "--window", "1d", "--from", iso(T0 - DAY), "--to", iso(T0 + DAY)]
    doc = json.loads(CliRunner().invoke(app, [*args, "--json"], env=env).stdout)
    assert [(r["approximate"], abs(r["value"] - 18_000) < 900) for r in doc] == [(True, True)]
    text = CliRunner().invoke(app, args, env=env, terminal_width=200)
    assert text.exit_code == 0 and "≈" in text.stdout and "approximate: 1 of 1 windows" in text.stderr
    widget = active_users(widget_context(reader, T0 - T0 % DAY, T0 - T0 % DAY + DAY))
    assert widget.values["sessions_approximate"] is True and "≈" in widget.body
    assert abs(widget.values["sessions"] - 18_000) < 900


def test_sessions_below_the_limit_are_exact_and_say_so(aws: AwsTarget) -> None:
    settings = make_settings(aws, FAST)
    lines = [emf_line(T0 + 1000, {"user.id": f"u{i % 7}", "session.id": f"s-{i}"}, {COMMITS: 1.0}) for i in range(70)]
    out = run_stdio(AggregatorProcessor(settings), one_batch_then_shutdown(records_of(lines)))
    assert checkpoints(out)
    reader = DynamoRowReader(settings.target.client("dynamodb"), settings.names.table)
    (sessions,) = query_metric(reader, "sessions", "1d", (), T0 - DAY, T0 + DAY)
    assert (sessions.value, sessions.approximate) == (70.0, False)
    assert sessions.to_json()["approximate"] is False
    widget = active_users(widget_context(reader, T0 - T0 % DAY, T0 - T0 % DAY + DAY))
    assert (widget.values["sessions"], widget.values["sessions_approximate"]) == (70, False)
    assert "≈" not in widget.body


def widget_context(reader: DynamoRowReader, from_ms: int, to_ms: int) -> WidgetContext:
    return WidgetContext(
        data=DashboardData(reader),
        range=TimeRange(from_ms, to_ms, "1d"),
        config=DashboardConfig(),
        charts=Charts(),
        now_ms=to_ms,
    )


def test_one_huge_attribute_value_never_holds_the_checkpoint(aws: AwsTarget) -> None:
    settings = make_settings(aws, FAST)
    huge = "x" * 470_000
    lines = [emf_line(T0 + 1000, {"user.id": "u1", "department": huge}, {COMMITS: 1.0})]
    lines += [emf_line(T0 + 1000, {"user.id": "u2", "department": "eng"}, {COMMITS: 1.0}) for _ in range(3)]
    recs = records_of(lines, per_record=1)
    out = run_stdio(AggregatorProcessor(settings), one_batch_then_shutdown(recs))
    assert checkpoints(out) == [recs[-1]["sequenceNumber"]]
    counters = latest_counters(settings)
    # every line counts; the huge value is cut to CCSTREAM_MAX_VALUE_CHARS and that is recorded
    assert commits(settings, "1m") == {(): 4.0}
    assert {k: v for k, v in counters.items() if k.startswith("dead_letters.")} == {
        "dead_letters.attribute_truncated": 1
    }
    assert commits(settings, "1m", ("department",)) == {("x" * 1024,): 1.0, ("eng",): 3.0}


def test_a_record_that_crashes_decoding_is_quarantined(aws: AwsTarget, monkeypatch: pytest.MonkeyPatch) -> None:
    import consumers.pipeline as pipeline

    settings = make_settings(aws, FAST)
    poison = envelope_bytes("s", [("p", T0, emf_line(T0, {"user.id": "p"}, {COMMITS: 1.0}))])
    real = pipeline.decode_record

    def decode(rec):  # type: ignore[no-untyped-def]
        if rec.data == poison:
            raise RecursionError("an input no rule foresaw")
        return real(rec)

    monkeypatch.setattr(pipeline, "decode_record", decode)
    good = [
        _record(10**50 + 2 + i, envelope_bytes("s", [(f"g{i}", T0, emf_line(T0, {"user.id": "g"}, {COMMITS: 1.0}))]))
        for i in range(2)
    ]
    recs = [_record(10**50 + 1, poison), *good]
    out = run_stdio(AggregatorProcessor(settings), one_batch_then_shutdown(recs))
    assert checkpoints(out) == [recs[-1]["sequenceNumber"]]
    assert commits(settings, "1m") == {(): 2.0}
    s3 = settings.target.client("s3")
    (obj,) = s3.list_objects_v2(Bucket=settings.deadletter_bucket)["Contents"]
    body = json.loads(s3.get_object(Bucket=settings.deadletter_bucket, Key=obj["Key"])["Body"].read())
    assert body["reason"] == "poison_record" and "RecursionError" in body["detail"]
    assert base64.b64decode(body["payload"]) == poison


def test_a_transient_flush_failure_keeps_state_and_is_retried(aws: AwsTarget, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = make_settings(aws, FAST)
    real = DynamoStores.save_rows
    failures = [1]

    def save_rows(self, shard_id, rows):  # type: ignore[no-untyped-def]
        if failures[0]:
            failures[0] -= 1
            raise SinkRetryableError("PutItem: ThrottlingException after 6 attempts")
        return real(self, shard_id, rows)

    monkeypatch.setattr(DynamoStores, "save_rows", save_rows)
    line = emf_line(T0, {"user.id": "u"}, {COMMITS: 1.0})
    a, b = (
        _record(10**50 + 1, envelope_bytes("s", [("a", T0, line)])),
        _record(10**50 + 2, envelope_bytes("s", [("b", T0, line)])),
    )
    lines: list[dict[str, object]] = [
        {"action": "initialize", "shardId": SHARD, "sequenceNumber": "TRIM_HORIZON", "subSequenceNumber": 0},
        {"action": "processRecords", "records": [a], "millisBehindLatest": 0},  # flush fails: no checkpoint
        {"action": "processRecords", "records": [b], "millisBehindLatest": 0},
        {"action": "checkpoint", "sequenceNumber": b["sequenceNumber"], "subSequenceNumber": 0, "error": None},
    ]
    out = run_stdio(AggregatorProcessor(settings), lines)
    assert checkpoints(out) == [b["sequenceNumber"]]
    assert commits(settings, "1m") == {(): 2.0}
    assert latest_counters(settings)["transient_failures"] == 1


def test_idle_flush_writes_every_open_row_and_checkpoints_the_last_record(aws: AwsTarget) -> None:
    """Production intervals (1d rows every 300 s) and an idle flush after 5 s: records at t=0, empty calls at
    t=4.999 s (nothing), t=5 s (everything written, checkpoint at the last record), t=6 s (clean: nothing)."""
    settings = make_settings(aws, Tunables(idle_flush_ms=5_000))
    line = emf_line(T0, {"user.id": "u"}, {COMMITS: 1.0})
    recs = [_record(10**50 + i, envelope_bytes("s", [(f"e{i}", T0, line)])) for i in range(3)]
    ticks = iter([0, 0, 0, 4_999, 5_000, 6_000])  # constructor, initialize, then one per processRecords
    empty = {"action": "processRecords", "records": [], "millisBehindLatest": 0}
    lines: list[dict[str, object]] = [
        {"action": "initialize", "shardId": SHARD, "sequenceNumber": "TRIM_HORIZON", "subSequenceNumber": 0},
        {"action": "processRecords", "records": recs, "millisBehindLatest": 0},
        empty,
        empty,
        {"action": "checkpoint", "sequenceNumber": recs[-1]["sequenceNumber"], "subSequenceNumber": 0, "error": None},
        empty,
    ]
    processor = AggregatorProcessor(settings, clock_ms=lambda: next(ticks))
    out = run_stdio(processor, lines)
    assert checkpoints(out) == [recs[-1]["sequenceNumber"]]
    assert commits(settings, "1d") == {(): 3.0} and commits(settings, "1h") == {(): 3.0}
    assert next(ticks, None) is None  # every call read the clock once: the t=6 s call really happened
