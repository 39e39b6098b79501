"""The progress fields keep one shape (the same labels, in order) whether or not a shard has stored a watermark."""

from __future__ import annotations

from consumers.status import PipelineStatus, status_fields

LABELS = ["points aggregated", "windows written", "duplicates dropped", "dead letters", "lag"]


def test_fields_before_any_watermark_still_say_lag() -> None:
    fields = status_fields(PipelineStatus(shards=2, counters={"points": 5}), now_ms=10_000)
    assert [label for label, _ in fields] == LABELS
    assert dict(fields)["lag"].startswith("unknown")
    assert dict(fields)["points aggregated"] == "5 from 0 records"


def test_lag_is_now_minus_the_watermark_in_seconds() -> None:
    status = PipelineStatus(shards=1, counters={"dead_letters.bad_json": 2}, watermark_ms=4_000)
    fields = dict(status_fields(status, now_ms=10_000))
    assert fields["lag"] == "6s behind newest event time"
    assert fields["dead letters"] == "2 (bad_json 2)"
