"""PutLogEvents batch limits: count, bytes with 26 bytes per event, 24 h span, order inside a batch."""

from __future__ import annotations

import pytest

from consumers.replay.batching import BatchLimits, EventTooLarge, LogBatcher, LogEventIn, split_batches

HOUR_MS = 3_600_000


def test_at_most_ten_thousand_events_per_batch() -> None:
    events = [LogEventIn(1_000 + i, "x") for i in range(25_001)]
    batches = list(split_batches(events))
    assert [len(b) for b in batches] == [10_000, 10_000, 5_001]
    assert [e for b in batches for e in b] == events


def test_bytes_count_utf8_plus_26_per_event() -> None:
    # 1,022 x (1,000 + 26) = 1,048,572 <= 1,048,576 < 1,023 x 1,026: 1,022 events of 1,000 bytes fit per call.
    events = [LogEventIn(i, "a" * 1_000) for i in range(1_500)]
    batches = list(split_batches(events))
    assert [len(b) for b in batches] == [1_022, 478]
    # Multi-byte characters count by their UTF-8 length: "é" is 2 bytes, so 500 of them weigh 1,000.
    wide = [LogEventIn(i, "é" * 500) for i in range(1_500)]
    assert [len(b) for b in split_batches(wide)] == [1_022, 478]


def test_a_batch_spans_at_most_24_hours_and_is_sorted() -> None:
    stamps = [0, 5 * HOUR_MS, 24 * HOUR_MS, 24 * HOUR_MS + 1, 30 * HOUR_MS, 2 * HOUR_MS]
    assert [[e.timestamp_ms for e in b] for b in split_batches([LogEventIn(t, "") for t in stamps])] == [
        [0, 2 * HOUR_MS, 5 * HOUR_MS, 24 * HOUR_MS],
        [24 * HOUR_MS + 1, 30 * HOUR_MS],
    ]
    batcher = LogBatcher()
    ready = [b for b in (batcher.add("s", LogEventIn(t, str(t))) for t in stamps) if b]
    ready += [b for _, b in batcher.drain()]
    # 24 h + 1 ms is too far from 0; then 2 h is too far from 30 h.
    assert [[e.timestamp_ms for e in b] for b in ready] == [
        [0, 5 * HOUR_MS, 24 * HOUR_MS],
        [24 * HOUR_MS + 1, 30 * HOUR_MS],
        [2 * HOUR_MS],
    ]
    for batch in ready:
        assert batch[-1].timestamp_ms - batch[0].timestamp_ms <= 24 * HOUR_MS


def test_streams_are_batched_separately() -> None:
    batcher = LogBatcher(BatchLimits(max_events=2))
    out = [batcher.add(s, LogEventIn(i, s)) for i, s in enumerate("ababa")]
    assert [[e.message for e in b] for b in out if b] == [["a", "a"]]
    rest = dict(batcher.drain())
    assert {k: [e.message for e in v] for k, v in rest.items()} == {"a": ["a"], "b": ["b", "b"]}


def test_an_event_larger_than_a_call_is_refused() -> None:
    with pytest.raises(EventTooLarge):
        LogBatcher().add("s", LogEventIn(1, "x" * (1_048_576 - 25)))
    assert LogBatcher().add("s", LogEventIn(1, "x" * (1_048_576 - 26))) is None
