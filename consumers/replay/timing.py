"""CloudWatch Logs' timestamp rules for PutLogEvents, and shifting a capture to the present.

AWS rejects events older than 14 days (or older than the group's retention) and more than 2 hours in the
future, reporting them in `rejectedLogEventsInfo` rather than failing the call (moto 5 does the same). Replay
checks before sending, with a small safety margin, and either refuses with a clear message or, with
`--shift-to-now`, moves every event by one offset so the newest lands at now: order and spacing are kept, and the
`_aws.Timestamp` inside each EMF line moves with its log event, so event time equals the new log time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

MAX_AGE_MS = 14 * 86_400_000
MAX_AHEAD_MS = 2 * 3_600_000
#: Margins so an event does not cross a limit while the replay runs.
AGE_MARGIN_MS = 10 * 60_000
AHEAD_MARGIN_MS = 60_000

_AWS_KEY = '"_aws"'
_TIMESTAMP = re.compile(r'("Timestamp"\s*:\s*)(\d+)(?=\s*[,}])')


@dataclass(frozen=True)
class AcceptedRange:
    """Timestamps CloudWatch Logs accepts now, margins applied: `oldest_ms <= t <= newest_ms`."""

    oldest_ms: int
    newest_ms: int

    @classmethod
    def at(cls, now_ms: int) -> AcceptedRange:
        return cls(now_ms - MAX_AGE_MS + AGE_MARGIN_MS, now_ms + MAX_AHEAD_MS - AHEAD_MARGIN_MS)

    def too_old(self, timestamp_ms: int) -> bool:
        return timestamp_ms < self.oldest_ms

    def too_new(self, timestamp_ms: int) -> bool:
        return timestamp_ms > self.newest_ms


@dataclass
class TimeScan:
    """What a first pass over the inputs learnt about their timestamps."""

    events: int = 0
    min_ms: int | None = None
    max_ms: int | None = None
    too_old: int = 0
    too_new: int = 0
    without_timestamp: int = 0

    def add(self, timestamp_ms: int | None, accepted: AcceptedRange) -> None:
        self.events += 1
        if timestamp_ms is None:
            self.without_timestamp += 1
            return
        self.min_ms = timestamp_ms if self.min_ms is None else min(self.min_ms, timestamp_ms)
        self.max_ms = timestamp_ms if self.max_ms is None else max(self.max_ms, timestamp_ms)
        self.too_old += accepted.too_old(timestamp_ms)
        self.too_new += accepted.too_new(timestamp_ms)


def iso(timestamp_ms: int) -> str:
    return datetime.fromtimestamp(timestamp_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def out_of_range_message(scan: TimeScan, now_ms: int, what: str) -> str:
    """The error text when CloudWatch Logs would reject some events of `what`."""
    parts = []
    if scan.too_old and scan.min_ms is not None:
        parts.append(f"{scan.too_old:,} are older than 14 days (oldest {iso(scan.min_ms)})")
    if scan.too_new and scan.max_ms is not None:
        parts.append(f"{scan.too_new:,} are more than 2 h in the future (newest {iso(scan.max_ms)})")
    return (
        f"{' and '.join(parts)} of the {scan.events:,} events in {what}, relative to now ({iso(now_ms)}); "
        "CloudWatch Logs rejects such events. Re-run with --shift-to-now to move every event (and its "
        "_aws.Timestamp) by one offset so the newest lands at now, keeping order and spacing."
    )


def shift_for(scan: TimeScan, now_ms: int) -> int:
    """Offset that moves the newest event to `now_ms` (0 when there is none)."""
    return 0 if scan.max_ms is None else now_ms - scan.max_ms


def span_too_long(scan: TimeScan) -> bool:
    """True when even shifted, the oldest event would be too old."""
    if scan.min_ms is None or scan.max_ms is None:
        return False
    return scan.max_ms - scan.min_ms > MAX_AGE_MS - AGE_MARGIN_MS - AHEAD_MARGIN_MS


def shift_emf_timestamp(line: str, shift_ms: int) -> str:
    """`line` with its `_aws.Timestamp` moved by `shift_ms`; unchanged when it has no integral one."""
    if not shift_ms:
        return line
    start = line.find(_AWS_KEY)
    if start < 0:
        return line
    match = _TIMESTAMP.search(line, start)
    if match is None:
        return line
    return f"{line[: match.start(2)]}{int(match.group(2)) + shift_ms}{line[match.end(2) :]}"
