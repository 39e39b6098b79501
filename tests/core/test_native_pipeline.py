"""The shard pipeline gives the same rows, counters, dead letters and watermark with the native core as without it.

With the core, an ordinary on-time record is read and folded in one native call (`read_fold`) and the rest goes
line by line; without it, everything goes through the Python readers and `FineBatch.fold`. Run on the real
collector's records, the hand-made bad corpus, and generated records whose lines arrive late, from the future and
out of order (so both the one-call path and the fallback are taken), flushed after every batch; compared through
`repr`, so even the last bit of a sum must agree.
"""

from __future__ import annotations

import base64
import gzip
import json
import random
from pathlib import Path

import pytest

from consumers import native
from consumers.config import Tunables
from consumers.model import SourceRecord
from consumers.pipeline import ShardPipeline
from consumers.sink.memory import MemoryStores
from tests.core.telemetry import envelope_bytes, random_events

FIXTURES = Path(__file__).parents[1] / "fixtures"
SHARD = "shardId-000000000000"
NOW = 1_796_400_000_000


def captured(path: Path, arrival: int | None = None) -> list[SourceRecord]:
    """A capture's records, arriving at `arrival`, else a minute after its newest event (whenever it was made)."""
    rows = [json.loads(row) for row in path.read_text().splitlines()]
    datas = [base64.b64decode(r["Data"]) for r in rows]
    if arrival is None:
        arrival = 60_000 + max(e["timestamp"] for d in datas for e in json.loads(gzip.decompress(d))["logEvents"])
    return [
        SourceRecord(SHARD, n + 1, 0, r.get("PartitionKey", ""), d, arrival)
        for n, (r, d) in enumerate(zip(rows, datas, strict=True))
    ]


def generated(seed: int) -> list[SourceRecord]:
    """Records of random lines; some records arrive long after their lines (late), some long before (future)."""
    rng = random.Random(seed)
    out = []
    start = 1_796_300_000_000
    for r in range(40):
        events = random_events(rng, rng.randrange(1, 8), start + r * 60_000, 600_000)
        arrival = start + r * 60_000 + rng.choice([60_000, 60_000, 3 * 86_400_000, -3 * 3600_000])
        data = envelope_bytes("otel-stream-x", [(str(r * 100 + i), ts, line) for i, (ts, line, _) in enumerate(events)])
        out.append(SourceRecord(SHARD, r + 1, 0, "k", data, arrival))
    return out


def run(records: list[SourceRecord], use_native: bool, batch: int) -> str:
    stores = MemoryStores()
    tunables = Tunables(allowed_lateness_ms=2 * 3600_000)
    now = max(r.arrival_ms for r in records)  # the clock of the records' arrival: nothing is from the future
    pipeline = ShardPipeline("app", SHARD, stores.stores(), tunables, clock_ms=lambda: now, native=use_native)
    for start in range(0, len(records), batch):
        pipeline.process(records[start : start + batch])
        pipeline.flush(force=True)
    rows = sorted((repr(k), repr(r.partial.to_doc())) for k, r in pipeline.rows.items())
    letters = sorted(repr(dl) for dl in stores.letters.values())
    return repr((rows, sorted(pipeline.counters.values.items()), pipeline.watermark.value_ms, letters))


def test_the_core_is_built() -> None:
    assert native.available(), "the native core is not built: run `make native`"


@pytest.mark.parametrize(
    "records",
    [
        pytest.param(lambda: captured(FIXTURES / "collector.kinesis.jsonl"), id="real-collector"),
        pytest.param(lambda: captured(FIXTURES / "realcli" / "realcli.kinesis.jsonl"), id="real-cli"),
        pytest.param(lambda: captured(FIXTURES / "bad.kinesis.jsonl", NOW), id="bad-corpus"),
        pytest.param(lambda: generated(1), id="late-and-future-1"),
        pytest.param(lambda: generated(2), id="late-and-future-2"),
    ],
)
@pytest.mark.parametrize("batch", [1, 7])
def test_native_and_python_pipelines_agree(records: object, batch: int) -> None:
    recs = records()  # type: ignore[operator]
    with_core, without = run(recs, True, batch), run(recs, False, batch)
    assert with_core == without
    assert "points" in with_core  # something was counted


def test_a_data_record_beyond_max_events_is_one_dead_letter(monkeypatch: pytest.MonkeyPatch) -> None:
    """`events_limited` was dead-lettered twice (by the pipeline and again by `read_lines`)."""
    from consumers.decode import records as decode_records

    monkeypatch.setenv("CCSTREAM_MAX_EVENTS", "2")
    decode_records.env_limits.cache_clear()
    try:
        rec = captured(FIXTURES / "collector.kinesis.jsonl")
        data = [r for r in rec if json.loads(gzip.decompress(r.data))["messageType"] == "DATA_MESSAGE"]
        for use_native in (True, False):
            stores = MemoryStores()
            pipeline = ShardPipeline(
                "app", SHARD, stores.stores(), clock_ms=lambda: data[0].arrival_ms, native=use_native
            )
            pipeline.process(data[:1])
            pipeline.flush(force=True)
            assert [dl.reason for dl in stores.letters.values()] == ["events_limited"]
            assert pipeline.counters.values["dead_letters.events_limited"] == 1
    finally:
        decode_records.env_limits.cache_clear()
