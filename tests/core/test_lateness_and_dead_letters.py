"""Lateness against the shard watermark, future events against arrival time, and bad records: each is dead-lettered
with its reason and counted; nothing crashes and the good events of a mixed record still count."""

from __future__ import annotations

import gzip

from consumers.config import Tunables
from consumers.model import SourceRecord
from consumers.pipeline import ShardPipeline
from consumers.query.api import query_metric
from consumers.query.reader import MemoryRowReader
from consumers.sink.memory import MemoryStores
from tests.core.telemetry import emf_line, envelope_bytes

H = 3_600_000
T0 = 1_763_679_600_000
SHARD = "shardId-000000000000"


def rec(seq: int, data: bytes, arrival_ms: int) -> SourceRecord:
    return SourceRecord(SHARD, seq, 0, "pk", data, arrival_ms)


def line(ts: int, value: float = 1.0) -> str:
    return emf_line(ts, {"user.id": "u1"}, {"claude_code.commit.count": value})


def run(records: list[SourceRecord], tunables: Tunables | None = None) -> tuple[MemoryStores, ShardPipeline]:
    stores = MemoryStores()
    p = ShardPipeline("app", SHARD, stores.stores(), tunables or Tunables(), clock_ms=lambda: 0)
    p.process(records)
    snap = p.flush(force=True)
    assert snap is not None
    p.remember_checkpoint(snap)
    return stores, p


def reasons(stores: MemoryStores) -> dict[str, int]:
    out: dict[str, int] = {}
    for dl in stores.letters.values():
        out[dl.reason] = out.get(dl.reason, 0) + 1
    return out


def test_late_and_future_are_dead_lettered_not_dropped() -> None:
    arrival = T0 + 100 * H
    records = [
        rec(1, envelope_bytes("s", [(1, T0 + 60 * H, line(T0 + 60 * H))]), arrival),  # watermark → T0+60h
        rec(2, envelope_bytes("s", [(2, T0 + 11 * H, line(T0 + 11 * H))]), arrival),  # 49 h behind: late
        rec(3, envelope_bytes("s", [(3, T0 + 13 * H, line(T0 + 13 * H))]), arrival),  # 47 h behind: counts
        rec(4, envelope_bytes("s", [(4, arrival + 3 * H, line(arrival + 3 * H))]), arrival),  # 3 h ahead: future
    ]
    stores, p = run(records)
    assert reasons(stores) == {"late": 1, "future": 1}
    assert p.counters.values["dead_letters.late"] == 1
    assert p.counters.values["dead_letters.future"] == 1
    total = query_metric(MemoryRowReader(stores), "claude_code.commit.count", "1d", (), 0, 2**62)
    assert sum(r.value for r in total) == 2.0
    assert p.watermark.value_ms == T0 + 60 * H  # the future event did not move it


def test_bad_records_are_dead_lettered_with_reason_and_good_events_count() -> None:
    mixed = envelope_bytes(
        "s",
        [
            (1, T0, line(T0, 5)),
            (2, T0, "not json"),
            (3, T0, '{"a": 1}'),
            (4, T0, emf_line(T0, {"user.id": "u"}, {"claude_code.commit.count": "x"})),  # type: ignore[dict-item]
            (5, T0, '{"_aws": {"CloudWatchMetrics": []}, "claude_code.commit.count": 1}'),
            (6, T0, emf_line(T0, {"user.id": "u"}, {"claude_code.future.metric": 7.0})),  # unknown: kept
        ],
    )
    records = [
        rec(1, b"\x1f\x8b not gzip", T0),
        rec(2, gzip.compress(b"{not json"), T0),
        rec(3, gzip.compress(b'{"hello": 1}'), T0),
        rec(4, gzip.compress(b'{"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logEvents": []}'), T0),
        rec(5, mixed, T0),
    ]
    stores, p = run(records)
    assert reasons(stores) == {
        "bad_gzip": 1,
        "bad_json": 2,
        "bad_envelope": 1,
        "not_emf": 1,
        "non_numeric_value": 1,
        "no_timestamp": 1,
    }
    assert p.counters.values["control_messages"] == 1
    reader = MemoryRowReader(stores)
    assert sum(r.value for r in query_metric(reader, "claude_code.commit.count", "1m", (), 0, 2**62)) == 5.0
    assert sum(r.value for r in query_metric(reader, "claude_code.future.metric", "1m", (), 0, 2**62)) == 7.0
    # every dead letter carries the raw payload
    assert all(dl.payload for dl in stores.letters.values())


def test_lateness_inside_one_record_is_judged_line_by_line_in_order() -> None:
    """One record whose lines straddle the lateness bound: the first line moves the watermark, so a later line of
    the same record can be late; future lines neither count nor move the watermark."""
    arrival = T0 + 100 * H
    stamps = [T0 + 11 * H, T0 + 60 * H, T0 + 11 * H, T0 + 13 * H, arrival + 3 * H, T0 + 61 * H]
    data = envelope_bytes("s", [(i, ts, line(ts, 10.0**i)) for i, ts in enumerate(stamps)])
    stores, p = run([rec(1, data, arrival)])
    # Expected from the policy by hand: 0 counts (watermark empty), 1 counts (→ T0+60h), 2 is 49 h behind: late,
    # 3 is 47 h behind: counts, 4 is 3 h past arrival: future, 5 counts (→ T0+61h).
    assert reasons(stores) == {"late": 1, "future": 1}
    late = next(dl for dl in stores.letters.values() if dl.reason == "late")
    assert late.index == 2 and late.event_timestamp_ms == T0 + 11 * H
    total = query_metric(MemoryRowReader(stores), "claude_code.commit.count", "1d", (), 0, 2**62)
    assert sum(r.value for r in total) == 1 + 10 + 1_000 + 100_000
    assert p.watermark.value_ms == T0 + 61 * H


def test_a_late_line_without_emf_metadata_is_dead_lettered_by_its_log_event_time() -> None:
    """awsemf writes lines no declaration selects without `_aws`: their time is the log event's."""
    arrival = T0 + 100 * H
    bare = '{"OTelLib":"com.anthropic.claude_code","claude_code.commit.count":3,"user.id":"u1"}'
    records = [
        rec(1, envelope_bytes("s", [(1, T0 + 60 * H, line(T0 + 60 * H))]), arrival),  # watermark → T0+60h
        rec(2, envelope_bytes("s", [(2, T0 + 11 * H, bare)]), arrival),  # 49 h behind: late
        rec(3, envelope_bytes("s", [(3, T0 + 59 * H, bare)]), arrival),  # 1 h behind: counts
    ]
    stores, _ = run(records)
    assert reasons(stores) == {"late": 1}
    (late,) = stores.letters.values()
    assert str(T0 + 11 * H) in late.detail
    total = query_metric(MemoryRowReader(stores), "claude_code.commit.count", "1d", (), T0, T0 + 100 * H)
    assert sum(r.value for r in total) == 4.0
