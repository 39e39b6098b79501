"""The per-shard watermark and the lateness policy.

Lateness is measured against the shard's watermark (the highest event time accepted so far), not the wall clock,
so captured fixtures of any age replay the same way. Events more than `allowed_lateness_ms` behind the watermark
are `late`; events more than `max_future_ms` ahead of their arrival in Kinesis are `future`. Neither moves the
watermark. The watermark never goes backwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Lateness(Enum):
    ON_TIME = "on_time"
    LATE = "late"
    FUTURE = "future"


@dataclass(slots=True)
class Watermark:
    allowed_lateness_ms: int
    max_future_ms: int
    value_ms: int = 0

    def classify(self, event_ms: int, arrival_ms: int) -> Lateness:
        if arrival_ms and event_ms > arrival_ms + self.max_future_ms:
            return Lateness.FUTURE
        if self.value_ms and event_ms < self.value_ms - self.allowed_lateness_ms:
            return Lateness.LATE
        return Lateness.ON_TIME

    def observe(self, event_ms: int) -> None:
        if event_ms > self.value_ms:
            self.value_ms = event_ms
