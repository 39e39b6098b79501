"""Live mode: one batch per wall-clock minute, timestamps in that minute, never in the future."""

from __future__ import annotations

from consumers.generate import live_batches, live_exports


class FakeClock:
    """Time that only moves when the code under test sleeps."""

    def __init__(self, now_ms: int) -> None:
        self.now_ms = now_ms
        self.sleeps: list[float] = []

    def now(self) -> int:
        return self.now_ms

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now_ms += round(seconds * 1000)


def test_batches_follow_the_clock() -> None:
    clock = FakeClock(1_795_442_430_500)  # Monday 2026-11-23T14:00:30.5Z, mid-minute
    batches = list(live_batches(300, seed=1, minutes=3, now_ms=clock.now, sleep_s=clock.sleep))
    assert len(batches) == 3
    minute0 = 1_795_442_340_000  # the minute that had just ended: 13:59
    for i, batch in enumerate(batches):
        assert batch, "300 users on a weekday afternoon: someone is working"
        lo, hi = minute0 + i * 60_000, minute0 + (i + 1) * 60_000
        assert all(lo <= line.timestamp_ms < hi for line in batch)
    # The first batch needed no wait; each later one waited until its minute was over.
    assert clock.sleeps == [29.5, 60.0]


def test_backfill_catches_up_without_sleeping() -> None:
    clock = FakeClock(1_795_442_400_000)
    batches = list(live_batches(50, seed=2, backfill_minutes=5, minutes=6, now_ms=clock.now, sleep_s=clock.sleep))
    assert len(batches) == 6
    assert clock.sleeps == []
    assert min(line.timestamp_ms for b in batches for line in b) >= 1_795_442_400_000 - 6 * 60_000
    assert max(line.timestamp_ms for b in batches for line in b) < 1_795_442_400_000


def test_live_exports_follow_the_clock_and_carry_the_same_activity_as_the_lines() -> None:
    clock = FakeClock(1_795_442_430_500)
    exports = list(live_exports(300, seed=1, minutes=3, now_ms=clock.now, sleep_s=clock.sleep))
    assert clock.sleeps == [29.5, 60.0]
    other = FakeClock(1_795_442_430_500)
    lines = list(live_batches(300, seed=1, minutes=3, now_ms=other.now, sleep_s=other.sleep))
    minute0 = 1_795_442_340_000
    for i, (batch, line_batch) in enumerate(zip(exports, lines, strict=True)):
        assert all(minute0 + i * 60_000 <= e.timestamp_ms < minute0 + (i + 1) * 60_000 for e in batch)
        from_exports = sorted((e.timestamp_ms, e.log_stream) for e in batch for _ in e.series)
        assert from_exports == sorted((line.timestamp_ms, line.log_stream) for line in line_batch)
