"""Split log events into PutLogEvents-sized batches, per log stream.

Limits (AWS docs): at most 10,000 events and 1,048,576 bytes per call, the size being the UTF-8 length of each
message plus 26 bytes per event; the events of one call in chronological order and within 24 hours of each
other. One event may be at most 1 MB (256 KB before April 2025); here only the batch size bounds it. Events
are sorted inside each batch; batches of one stream need not be in order with each other.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import msgspec

MAX_BATCH_EVENTS = 10_000
MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD_BYTES = 26
MAX_BATCH_SPAN_MS = 24 * 3_600_000


class LogEventIn(msgspec.Struct, frozen=True, gc=False):
    """A log event to send: `timestamp_ms` and `message`, as PutLogEvents takes them."""

    timestamp_ms: int
    message: str


@dataclass(frozen=True)
class BatchLimits:
    max_events: int = MAX_BATCH_EVENTS
    max_bytes: int = MAX_BATCH_BYTES
    overhead_bytes: int = EVENT_OVERHEAD_BYTES
    max_span_ms: int = MAX_BATCH_SPAN_MS

    def event_size(self, message: str) -> int:
        return len(message.encode()) + self.overhead_bytes


class EventTooLarge(ValueError):
    """A single event is larger than one PutLogEvents call may carry."""


@dataclass
class _Pending:
    events: list[LogEventIn] = field(default_factory=list)
    size: int = 0
    min_ms: int = 0
    max_ms: int = 0


class LogBatcher:
    """Accumulates events per stream and hands out full batches (each sorted by timestamp)."""

    def __init__(self, limits: BatchLimits | None = None) -> None:
        self.limits = limits or BatchLimits()
        self._pending: dict[str, _Pending] = {}

    def add(self, stream: str, event: LogEventIn) -> list[LogEventIn] | None:
        """Queue `event`; returns the stream's previous batch when this event does not fit in it."""
        size = self.limits.event_size(event.message)
        if size > self.limits.max_bytes:
            raise EventTooLarge(f"{size:,} bytes with overhead; PutLogEvents takes at most {self.limits.max_bytes:,}")
        pending = self._pending.get(stream)
        ready = None
        if pending is not None and not self._fits(pending, event, size):
            ready = self._take(stream)
            pending = None
        if pending is None:
            pending = self._pending[stream] = _Pending(min_ms=event.timestamp_ms, max_ms=event.timestamp_ms)
        pending.events.append(event)
        pending.size += size
        pending.min_ms = min(pending.min_ms, event.timestamp_ms)
        pending.max_ms = max(pending.max_ms, event.timestamp_ms)
        return ready

    def drain(self) -> Iterator[tuple[str, list[LogEventIn]]]:
        """Every remaining batch, stream by stream."""
        for stream in list(self._pending):
            yield stream, self._take(stream)

    def _fits(self, pending: _Pending, event: LogEventIn, size: int) -> bool:
        lim = self.limits
        span = max(pending.max_ms, event.timestamp_ms) - min(pending.min_ms, event.timestamp_ms)
        return len(pending.events) < lim.max_events and pending.size + size <= lim.max_bytes and span <= lim.max_span_ms

    def _take(self, stream: str) -> list[LogEventIn]:
        pending = self._pending.pop(stream)
        return sorted(pending.events, key=lambda e: e.timestamp_ms)


def split_batches(events: list[LogEventIn], limits: BatchLimits | None = None) -> Iterator[list[LogEventIn]]:
    """All batches for one stream's events (convenience over `LogBatcher`)."""
    batcher = LogBatcher(limits)
    for event in sorted(events, key=lambda e: e.timestamp_ms):
        ready = batcher.add("", event)
        if ready:
            yield ready
    for _, batch in batcher.drain():
        yield batch
