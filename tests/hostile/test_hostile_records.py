"""Single hostile records from the review (review-2026-12.md "One bad client stalls a shard forever"): each one is
dead-lettered or counted with its reason, with bounded memory, and never raises."""

from __future__ import annotations

import gzip
import json
import tracemalloc
import zlib

import pytest

from consumers.decode.limits import DecodeLimits
from consumers.decode.records import decode_record, read_lines
from consumers.generate.badcorpus import good_line
from consumers.lake.transform import transform_record
from consumers.model import SourceRecord
from consumers.sink.deadletter import batches
from schemas import catalogue as cat
from schemas.emf import LineLimits
from schemas.envelope import DATA_MESSAGE, Envelope, EnvelopeDecodeError, LogEvent, encode_envelope, gunzip

T = 1_795_215_600_000


def _rec(messages: list[str], ts: int = T) -> SourceRecord:
    events = [LogEvent(str(i), ts + i, m) for i, m in enumerate(messages)]
    env = Envelope(DATA_MESSAGE, "1", "/aws/claude-code/metrics", "otel-stream-x", ["f"], events)
    return SourceRecord("shardId-000000000001", 11, 0, "pk", encode_envelope(env), 0)


def test_gzip_bomb_stops_at_the_cap_with_bounded_memory() -> None:
    bomb = gzip.compress(b"{" + b" " * (200 << 20) + b"}", compresslevel=9)  # 200 MB of JSON in ~200 KB
    assert len(bomb) < 400_000
    tracemalloc.start()
    with pytest.raises(EnvelopeDecodeError) as exc:
        gunzip(bomb, 8 << 20)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert exc.value.reason == "oversized_record"
    assert peak < 20 << 20, peak  # the cap (8 MiB) and change, not 200 MB
    d = decode_record(SourceRecord("s", 1, 0, "pk", bomb, 0), DecodeLimits(max_record_bytes=1 << 20))
    assert d.kind == "bad" and d.dead_letters[0].reason == "oversized_record"
    assert d.dead_letters[0].payload_sha256 and len(d.dead_letters[0].payload) <= 350_000


def test_gunzip_accepts_concatenated_members_and_refuses_a_cut_stream() -> None:
    assert gunzip(gzip.compress(b"ab") + gzip.compress(b"cd")) == b"abcd"
    with pytest.raises(EnvelopeDecodeError) as exc:
        gunzip(gzip.compress(b"x" * 1000)[:-12])
    assert exc.value.reason == "bad_gzip"
    with pytest.raises(EnvelopeDecodeError):
        gunzip(zlib.compress(b"not gzip framing"))


def test_long_metric_name_gives_a_short_dead_letter_key() -> None:
    name = "claude_code." + "x" * 1000
    line = good_line(1, {cat.COMMITS: 1}).replace('"claude_code.commit.count":1', f'"{name}":-1')
    rec = _rec([line])
    _, letters = read_lines(rec, decode_record(rec))
    assert sorted(dl.reason for dl in letters) == ["missing_value", "negative_value"]  # commit.count declared
    [(key, _)] = batches(letters)
    assert len(key.encode()) < 200 and "xxxx" not in key


def test_two_thousand_bad_values_are_one_letter_in_one_object() -> None:
    doc = json.loads(good_line(1, {cat.COMMITS: 1}))
    for i in range(2000):
        doc[f"claude_code.bad{i:04d}"] = "NaN"
    rec = _rec([json.dumps(doc)])
    limits = DecodeLimits(line=LineLimits(max_points=5000))
    lines, letters = read_lines(rec, decode_record(rec, limits), limits)
    assert [v for line in lines for v in line.values] == [(cat.COMMITS, 1.0)]
    assert [(dl.reason, dl.line_counted) for dl in letters] == [("non_numeric_value", True)]
    assert "2000 items" in letters[0].detail
    assert len(batches(letters)) == 1


def test_points_labels_and_long_values_degrade_deterministically() -> None:
    doc = json.loads(good_line(1, {cat.TOKEN_USAGE: 7}, model="m", type="input"))
    doc["department"] = "d" * 470_000
    for i in range(300):
        doc[f"label{i:03d}"] = "v"
    doc[cat.COST_USAGE] = list(range(100))
    line = json.dumps(doc, sort_keys=True)
    rec = _rec([line])
    limits = DecodeLimits(line=LineLimits(max_value_chars=1024, max_labels=128, max_points=64))
    a = read_lines(rec, decode_record(rec, limits), limits)
    b = read_lines(rec, decode_record(rec, limits), limits)
    assert a == b
    (got,), letters = a
    reasons = sorted(dl.reason for dl in letters)
    assert reasons == ["attribute_truncated", "labels_limited", "points_limited"]
    assert all(dl.line_counted for dl in letters)
    assert got.signature[2] == "d" * 1024  # department, cut to the limit
    # Key order: cost.usage (100 list items) comes before token.usage, so the 64 points are cost's first 64.
    assert got.values == [(cat.COST_USAGE, float(i)) for i in range(64)]


def test_lake_memory_stays_bounded_on_a_small_record_of_list_values() -> None:
    """A ~7 KB gzip'd record of list-valued lines (the review's 6.7 KB → 628 MB) stays far below that."""
    doc = json.loads(good_line(1, {cat.TOKEN_USAGE: 1}, model="m", type="input"))
    doc[cat.TOKEN_USAGE] = [1] * 50_000
    messages = [json.dumps(doc)] * 40  # ~6 MB decompressed: under the 8 MiB record cap
    rec = _rec(messages)
    assert len(rec.data) < 150_000  # 40 lines x 50,000 values = 2 M values before the limits
    tracemalloc.start()
    out = transform_record(rec.data, source="s/1")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"\nlake transform: {len(rec.data)} bytes gzip'd -> {len(out.rows)} rows, peak {peak / 1e6:.1f} MB")
    assert len(out.rows) == 40 * 64  # max_points per line
    assert {dl.reason for dl in out.dead_letters} >= {"points_limited"}
    assert peak < 200 << 20


def test_ts_one_never_hides_a_record_in_1970() -> None:
    good = good_line(1, {cat.COMMITS: 1})
    early = good.replace(f'"Timestamp":{T + 1000}', '"Timestamp":1')
    out = transform_record(_rec([early, good]).data, source="s/1")
    assert [r["timestamp"] for r in out.rows] == [T + 1000]
    assert [d.reason for d in out.dead_letters] == ["timestamp_out_of_range"]
    assert list(out.partitions()) and all(p.year == 2026 for p in out.partitions())
