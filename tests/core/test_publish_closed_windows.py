"""Each shard publishes each closed 1-minute window to CloudWatch once, also across a crash and replay."""

from __future__ import annotations

import random

from consumers.aggregates.partials import WindowPartial
from consumers.config import Tunables
from consumers.model import SourceRecord
from consumers.pipeline import ShardPipeline
from consumers.sink.memory import MemoryStores
from tests.core.telemetry import Point, envelope_bytes, expected_totals, random_events
from tests.core.test_pipeline_exactly_once import START


class Recorder:
    def __init__(self) -> None:
        self.windows: list[tuple[int, float]] = []

    def publish_window(self, window_start_ms: int, partial: WindowPartial, ratios: bool = True) -> int:
        assert not ratios, "per-shard partials must not publish ratios"
        self.windows.append((window_start_ms, partial.group_by(()).get((), {}).get("claude_code.commit.count", 0.0)))
        return 1


def minute_records(minutes: int, points: list[Point] | None = None) -> list[SourceRecord]:
    rng = random.Random(4)
    out = []
    for m in range(minutes):
        evs = sorted(random_events(rng, 6, START + m * 60_000, 60_000), key=lambda e: e[0])
        data = envelope_bytes("s", [(f"{m}-{i}", ts, ln) for i, (ts, ln, _) in enumerate(evs)])
        out.append(SourceRecord("shardId-000000000000", 10**50 + m, 0, "pk", data, START + 10**8))
        if points is not None:
            points.extend(p for _, _, pts in evs for p in pts)
    return out


def test_closed_windows_published_once_even_after_a_replay() -> None:
    points: list[Point] = []
    records = minute_records(8, points)
    stores, rec = MemoryStores(), Recorder()
    tun = Tunables(flush_interval_ms=0, user_flush_interval_ms=0, size_flush_interval_ms={})
    p = ShardPipeline("app", "shardId-000000000000", stores.stores(rec), tun, clock_ms=lambda: 0)
    for r in records[:5]:
        p.process([r])
        p.flush()
    # crash without checkpoint, replay everything with a new pipeline
    q = ShardPipeline("app", "shardId-000000000000", stores.stores(rec), tun, clock_ms=lambda: 0)
    for r in records:
        q.process([r])
        q.flush()
    starts = [w for w, _ in rec.windows]
    assert len(starts) == len(set(starts)), "a window was published twice"
    # minutes 0..5 are closed (watermark in minute 7 minus a minute of grace); 6 and 7 are still open
    assert sorted(starts) == [START + m * 60_000 for m in range(6)]
    # each published value is that minute's commit count, from the generated points (not through ccstream)
    expected = {k[0]: v for k, v in expected_totals(points, 60_000).items() if k[1] == "claude_code.commit.count"}
    assert any(expected.get(START + m * 60_000) for m in range(6)), "the check needs minutes with commits"
    assert dict(rec.windows) == {START + m * 60_000: expected.get(START + m * 60_000, 0.0) for m in range(6)}
