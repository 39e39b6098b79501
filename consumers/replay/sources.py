"""Reading replay inputs: raw EMF lines here; captured Kinesis records and format detection in `captures.py`.

For an EMF line the log event timestamp is its `_aws.Timestamp`, and its log stream is the one the collector
task serving its `session.id` writes to (`collector_log_stream`), unless a fixed stream is asked for. Lines
without a usable timestamp are still sent (so malformed corpora reach the consumers) with the timestamp of the
previous good line of the file, or the file's first good one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec

from consumers.generate.streams import collector_log_stream
from consumers.replay.captures import InputFormat, detect_format, read_captured
from consumers.replay.errors import ReplayInputError

__all__ = ["EmfEvent", "InputFormat", "detect_format", "inspect_line", "read_captured", "read_emf", "read_emf_raw"]


class _LineHead(msgspec.Struct):
    aws: Any = msgspec.field(default=None, name="_aws")
    session_id: Any = msgspec.field(default=None, name="session.id")


_decode_head = msgspec.json.Decoder(_LineHead).decode


class EmfEvent(msgspec.Struct, frozen=True, gc=False):
    """One line of an EMF file: its event time (None if unusable), the session it belongs to, the text."""

    timestamp_ms: int | None
    session_id: str | None
    message: str

    def log_stream(self) -> str:
        return collector_log_stream(self.session_id)


def inspect_line(line: str) -> EmfEvent:
    """Pull `_aws.Timestamp` and `session.id` out of an EMF line without judging the rest."""
    try:
        head = _decode_head(line)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return EmfEvent(None, None, line)
    ts = head.aws.get("Timestamp") if isinstance(head.aws, dict) else None
    timestamp_ms = int(ts) if isinstance(ts, int) and not isinstance(ts, bool) and ts > 0 else None
    session = head.session_id if isinstance(head.session_id, str) else None
    return EmfEvent(timestamp_ms, session, line)


def read_emf(path: Path) -> Iterator[EmfEvent]:
    """The non-blank lines of an EMF file, each with its event time filled in (see the module doc)."""
    fallback: int | None = None
    pending: list[EmfEvent] = []
    for event in read_emf_raw(path):
        if event.timestamp_ms is None:
            if fallback is None:
                pending.append(event)
                continue
            event = EmfEvent(fallback, event.session_id, event.message)
        else:
            fallback = event.timestamp_ms
            for early in pending:
                yield EmfEvent(fallback, early.session_id, early.message)
            pending.clear()
        yield event
    if pending:
        raise ReplayInputError(f"{path}: no line has a usable _aws.Timestamp, so there is no time to send them at")


def read_emf_raw(path: Path) -> Iterator[EmfEvent]:
    """The non-blank lines of an EMF file as they are (timestamp None when unusable)."""
    with path.open("r", encoding="utf-8", newline="\n") as fh:
        for raw in fh:
            line = raw.rstrip("\n").rstrip("\r")
            if line.strip():
                yield inspect_line(line)
