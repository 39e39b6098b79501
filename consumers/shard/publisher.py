"""Closed 1-minute windows of one shard to CloudWatch metrics, each at most once (claim first, then send)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from consumers.aggregates.batch import MINUTE_MS
from consumers.aggregates.partials import WindowPartial
from consumers.shard.counters import Counters
from consumers.shard.rowbook import NO_POSITION, RowState
from consumers.sink.base import PublishClaims, WindowPublisher

#: A 1-minute window is published once the watermark is this far past its end.
PUBLISH_GRACE_MS = 60_000


def publishable(row: RowState, watermark_ms: int, grace_ms: int = PUBLISH_GRACE_MS) -> bool:
    """A written (clean), not yet published W 1m row whose window closed `grace_ms` before the watermark and that
    holds something (or was stored: an empty stored row still claims its window)."""
    key = row.key
    if key.kind != "W" or key.size != "1m" or row.published or row.dirty:
        return False
    if key.start_ms + MINUTE_MS > watermark_ms - grace_ms:
        return False
    return not (row.base_fence == NO_POSITION and not cast(WindowPartial, row.partial).points)


class ClosedWindowPublisher:
    def __init__(self, shard_id: str, claims: PublishClaims, publisher: WindowPublisher, counters: Counters) -> None:
        self.shard_id = shard_id
        self.claims = claims
        self.publisher = publisher
        self.counters = counters

    def publish(self, rows: Iterable[RowState], watermark_ms: int) -> int:
        """Publish every publishable row; returns how many windows were sent (a replay's claim fails: not sent)."""
        sent = 0
        for row in rows:
            if not publishable(row, watermark_ms):
                continue
            row.published = True
            if self.claims.claim_publish(self.shard_id, row.key):
                self.publisher.publish_window(row.key.start_ms, row.partial, ratios=False)
                self.counters.add("windows_published")
                sent += 1
        return sent
