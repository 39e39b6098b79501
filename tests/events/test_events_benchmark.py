"""The events benchmark runs end to end on a tiny input and counts every event it generated. No timing asserted."""

from __future__ import annotations

import pytest

from benchmarks import events


def test_events_benchmark_counts_every_event(capsys: pytest.CaptureFixture[str]) -> None:
    assert events.main(["--users", "40", "--minutes", "1", "--shards", "1"]) == 0
    out = capsys.readouterr().out
    assert "check: events counted = events generated: ok" in out
    assert "events/s decode+aggregate" in out and "writes per 1,000 events" in out and "machine:" in out
