"""Send log events to CloudWatch Logs with PutLogEvents, creating log streams as needed.

`put_emf_lines` is the entry point for `ccstream up` (live lines) and `replay` (files): it batches per stream
within the PutLogEvents limits and counts what CloudWatch accepted and rejected.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from consumers.generate.lines import EmfLine
from consumers.replay.batching import BatchLimits, EventTooLarge, LogBatcher, LogEventIn
from consumers.replay.errors import ReplayError
from consumers.replay.sources import inspect_line
from consumers.replay.timing import MAX_AGE_MS


@dataclass
class LogsStats:
    """What PutLogEvents did with the events handed to it."""

    calls: int = 0
    events_sent: int = 0
    rejected_too_old: int = 0
    rejected_too_new: int = 0
    rejected_expired: int = 0
    skipped_too_large: int = 0
    streams: set[str] = field(default_factory=set)

    @property
    def accepted(self) -> int:
        return self.events_sent - self.rejected_too_old - self.rejected_too_new - self.rejected_expired

    def merge(self, other: LogsStats) -> None:
        self.calls += other.calls
        self.events_sent += other.events_sent
        self.rejected_too_old += other.rejected_too_old
        self.rejected_too_new += other.rejected_too_new
        self.rejected_expired += other.rejected_expired
        self.skipped_too_large += other.skipped_too_large
        self.streams |= other.streams


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class LogEventWriter:
    """PutLogEvents into one log group; creates each log stream once. Client passed in."""

    def __init__(
        self,
        logs_client: Any,
        group: str,
        *,
        limits: BatchLimits | None = None,
        on_batch: Callable[[LogsStats], None] | None = None,
        now_ms: Callable[[], int] = lambda: int(time.time() * 1000),
    ) -> None:
        self.client = logs_client
        self._now_ms = now_ms
        self.group = group
        self.stats = LogsStats()
        self._batcher = LogBatcher(limits)
        self._known_streams: set[str] = set()
        self._on_batch = on_batch

    def add(self, stream: str, timestamp_ms: int, message: str) -> None:
        """Queue one event; sends a batch when the stream's current one is full."""
        try:
            ready = self._batcher.add(stream, LogEventIn(timestamp_ms, message))
        except EventTooLarge:
            self.stats.skipped_too_large += 1
            return
        if ready:
            self._send(stream, ready)

    def flush(self) -> None:
        """Send everything queued."""
        for stream, batch in self._batcher.drain():
            self._send(stream, batch)

    def ensure_stream(self, stream: str) -> None:
        if stream in self._known_streams:
            return
        try:
            self.client.create_log_stream(logGroupName=self.group, logStreamName=stream)
        except ClientError as exc:
            if _code(exc) == "ResourceNotFoundException":
                raise ReplayError(
                    f"log group {self.group!r} does not exist; deploy first (`ccstream deploy`) or pass --log-group"
                ) from exc
            if _code(exc) != "ResourceAlreadyExistsException":
                raise
        self._known_streams.add(stream)

    def _send(self, stream: str, batch: list[LogEventIn]) -> None:
        self.ensure_stream(stream)
        events = [{"timestamp": e.timestamp_ms, "message": e.message} for e in batch]
        try:
            response = self.client.put_log_events(logGroupName=self.group, logStreamName=stream, logEvents=events)
        except ClientError as exc:
            if _code(exc) == "ResourceNotFoundException":
                raise ReplayError(
                    f"log group {self.group!r} or stream {stream!r} vanished during the replay: {exc}"
                ) from exc
            raise
        self._count_rejections(response.get("rejectedLogEventsInfo") or {}, batch)
        self.stats.calls += 1
        self.stats.events_sent += len(batch)
        self.stats.streams.add(stream)
        if self._on_batch:
            self._on_batch(self.stats)

    def _count_rejections(self, info: dict[str, int], batch: list[LogEventIn]) -> None:
        """Count what `rejectedLogEventsInfo` says was dropped.

        AWS: `tooOldLogEventEndIndex` and `expiredLogEventEndIndex` are exclusive ends, `tooNewLogEventStartIndex`
        is inclusive. moto 5 reports the too-old index inclusively (the last too-old event), so an end index that
        still points at an event older than 14 days is moved past it.
        """
        size = len(batch)
        if "tooOldLogEventEndIndex" in info:
            end = int(info["tooOldLogEventEndIndex"])
            if end < size and batch[end].timestamp_ms < self._now_ms() - MAX_AGE_MS:
                end += 1
            self.stats.rejected_too_old += min(size, end)
        if "tooNewLogEventStartIndex" in info:
            self.stats.rejected_too_new += max(0, size - int(info["tooNewLogEventStartIndex"]))
        if "expiredLogEventEndIndex" in info:
            self.stats.rejected_expired += min(size, int(info["expiredLogEventEndIndex"]))


def put_emf_lines(
    logs_client: Any,
    group: str,
    stream: str | None,
    lines: Iterable[EmfLine | str],
    *,
    limits: BatchLimits | None = None,
) -> LogsStats:
    """PutLogEvents every line into `group`.

    `stream=None` sends each `EmfLine` to its own `log_stream` (and a plain string to the stream of its
    `session.id`); a name sends everything there. Plain strings are timestamped with their `_aws.Timestamp`;
    a string without one raises `ReplayError` (use `replay_paths` for malformed corpora). Returns the counts.
    """
    writer = LogEventWriter(logs_client, group, limits=limits)
    for item in lines:
        if isinstance(item, EmfLine):
            writer.add(stream or item.log_stream, item.timestamp_ms, item.line)
            continue
        event = inspect_line(item)
        if event.timestamp_ms is None:
            raise ReplayError(f"line has no usable _aws.Timestamp, so it has no log time: {item[:120]!r}")
        writer.add(stream or event.log_stream(), event.timestamp_ms, item)
    writer.flush()
    return writer.stats
