"""Decode one Kinesis record from a CloudWatch Logs subscription.

A record is gzip'd JSON (kclpy already base64-decoded it). Control messages carry no data. Every failure becomes a
`DeadLetter` with a stable reason; a bad log event never spoils the other events of its record. A line gives at most
one dead letter per reason (a line with 2,000 bad values is one letter saying so, not 2,000), and payloads are
capped (`cap_payload`: the first 256 KiB, with the length and SHA-256 of the whole). Nothing here raises for input.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import zlib
from dataclasses import dataclass, field
from typing import Literal

from consumers.decode.limits import DecodeLimits
from consumers.decode.lines import Line, read_fast, read_generic
from consumers.decode.native import read_native
from consumers.model import DeadLetter, SourceRecord, letter_of
from consumers.native import on_by_default
from schemas.emf import DEGRADED_REASONS, DataPoint, EmfError, Rejected, parse_line
from schemas.envelope import Envelope, EnvelopeDecodeError, LogEvent, decode_envelope

#: Characters of a dead letter's payload that are kept: every event CloudWatch Logs accepts (≤ 256 KiB) whole.
MAX_PAYLOAD_CHARS = 256 * 1024


@functools.cache
def env_limits() -> DecodeLimits:
    """The limits from `CCSTREAM_MAX_*`, read once per process."""
    return DecodeLimits.from_env()


def cap_payload(payload: str, limit: int = MAX_PAYLOAD_CHARS) -> dict[str, object]:
    """`payload` fields of a dead letter: the text (cut to `limit`), and when cut its full length and digest."""
    if len(payload) <= limit:
        return {"payload": payload}
    whole = payload.encode("utf-8", "surrogatepass")
    return {
        "payload": payload[:limit],
        "payload_truncated": True,
        "payload_chars": len(payload),
        "payload_sha256": hashlib.sha256(whole).hexdigest(),
    }


@dataclass(slots=True)
class DecodedRecord:
    """A record's envelope, decoded; its lines are read by `read_lines` once the record is known to count."""

    kind: Literal["data", "control", "bad"]
    fingerprint: str = ""
    log_stream: str = ""
    events: list[LogEvent] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)  # the whole record, when it is `bad`
    messages: list[str] = field(default_factory=list)  # the events' messages (what the line readers read)

    @property
    def event_count(self) -> int:
        return len(self.events)


def record_fingerprint(env: Envelope, messages: list[str] | None = None) -> str:
    """Identity of a subscription batch: equal for a CloudWatch redelivery, distinct otherwise.

    CloudWatch Logs gives every log event a unique id, so SHA-256 over the log group, stream, ids and timestamps
    identifies a batch. Emulators number ids from a per-process counter, so the messages count too, through their
    CRC-32 and length: zlib's CRC runs at ~4 GB/s where SHA-256 ran at ~0.7 GB/s over the same 0.5 MB per record
    (the messages were 1.1 µs of the pipeline's ~9 µs per point), and ids already make a batch unique on AWS.
    `messages`: the events' messages, when the caller has them in a list already.
    """
    events = env.log_events
    text = "\x00".join([ev.message for ev in events] if messages is None else messages).encode()
    h = hashlib.sha256()
    h.update(f"{env.log_group}\x00{env.log_stream}\x00".encode())
    h.update(",".join([f"{ev.id}:{ev.timestamp}" for ev in events]).encode())
    h.update(f"\x00{zlib.crc32(text)}:{len(text)}".encode())
    return h.hexdigest()[:32]


def _dead(rec: SourceRecord, reason: str, detail: str, index: int, payload: str, **kw: object) -> DeadLetter:
    return letter_of(rec, reason, detail, index, **cap_payload(payload), **kw)  # type: ignore[arg-type]


def decode_record(rec: SourceRecord, limits: DecodeLimits | None = None) -> DecodedRecord:
    """gunzip and decode the envelope; a record that cannot be read becomes one dead letter for the whole record.

    Log events beyond `max_events` are not read: one `events_limited` dead letter says how many."""
    limits = limits or env_limits()
    try:
        env = decode_envelope(rec.data, limits.max_record_bytes)
    except EnvelopeDecodeError as exc:
        payload = base64.b64encode(rec.data[: MAX_PAYLOAD_CHARS * 3 // 4 + 3]).decode()
        letter = _dead(rec, exc.reason, exc.detail, -1, payload)
        if len(rec.data) > MAX_PAYLOAD_CHARS * 3 // 4 + 3:
            letter = _with_digest(letter, rec.data)
        return DecodedRecord("bad", dead_letters=[letter])
    if env.is_control:
        return DecodedRecord("control")
    events = env.log_events
    messages = [ev.message for ev in events]
    fingerprint = record_fingerprint(env, messages)  # of every event, read or not
    letters: list[DeadLetter] = []
    if len(events) > limits.max_events:
        extra = len(events) - limits.max_events
        detail = f"{extra} of {len(events)} log events beyond {limits.max_events} not read"
        letters.append(_dead(rec, "events_limited", detail, limits.max_events, "", line_counted=True))
        events = events[: limits.max_events]
        messages = messages[: limits.max_events]
    return DecodedRecord("data", fingerprint, env.log_stream, events, letters, messages)


def _with_digest(letter: DeadLetter, data: bytes) -> DeadLetter:
    import msgspec

    return msgspec.structs.replace(
        letter, payload_truncated=True, payload_chars=len(data), payload_sha256=hashlib.sha256(data).hexdigest()
    )


def read_lines(
    rec: SourceRecord, decoded: DecodedRecord, limits: DecodeLimits | None = None, native: bool | None = None
) -> tuple[list[Line], list[DeadLetter]]:
    """Every countable line of a data record, and dead letters: one per unusable line, and one per reason for the
    values or attributes of a line that could not be kept as they were (`line_counted`: the rest of it counted).

    Lines go through the native scanner first (`native.py`; `native` None = unless `CCSTREAM_NATIVE=0`),
    then what it leaves through `read_fast`, then the generic parser: each gives the same `Line` for a line it
    accepts. A data record's own `events_limited` letter (from `decode_record`) is among the letters returned."""
    line_limits = (limits or env_limits()).line
    letters: list[DeadLetter] = [dl for dl in decoded.dead_letters] if decoded.kind == "data" else []
    events = decoded.events
    scanned = read_native(decoded.messages, line_limits) if _use_native(native) else None
    if scanned is not None and not scanned.count(None):
        return scanned, letters  # type: ignore[return-value]  # no None in it
    lines: list[Line] = []
    for index, ev in enumerate(events):
        line = None if scanned is None else scanned[index]
        if line is None:
            line = read_fast(index, ev.message, line_limits)
        if line is not None:
            lines.append(line)
            continue
        try:
            line, rejected = read_generic(index, ev.message, ev.timestamp, line_limits)
        except EmfError as exc:
            letters.append(
                _dead(
                    rec,
                    exc.reason,
                    exc.detail,
                    index,
                    ev.message,
                    log_event_id=str(ev.id),
                    event_timestamp_ms=ev.timestamp,
                )
            )
            continue
        letters.extend(_rejected_letters(rec, index, ev, rejected, counted=line is not None))
        if line is not None:
            lines.append(line)
    return lines, letters


def _use_native(native: bool | None) -> bool:
    return on_by_default() if native is None else native


def _rejected_letters(
    rec: SourceRecord, index: int, ev: LogEvent, rejected: list[Rejected], *, counted: bool
) -> list[DeadLetter]:
    """One dead letter per reason: the first metric (or attribute) it hit, and how many there were."""
    by_reason: dict[str, list[Rejected]] = {}
    for r in rejected:
        by_reason.setdefault(r.reason, []).append(r)
    out = []
    for reason, items in by_reason.items():
        detail = items[0].raw if len(items) == 1 else f"{len(items)} items, first {items[0].metric}: {items[0].raw}"
        out.append(
            _dead(
                rec,
                reason,
                detail,
                index,
                ev.message,
                log_event_id=str(ev.id),
                metric=items[0].metric[:200] or None,
                event_timestamp_ms=ev.timestamp,
                line_counted=counted or reason in DEGRADED_REASONS,
            )
        )
    return out


def line_points(event: LogEvent, limits: DecodeLimits | None = None) -> list[DataPoint]:
    """The countable points of one log event, exactly as `read_lines` counted them; [] for a bad line. Never raises.

    For callers that need the points of a line `read_lines` accepted (e.g. to dead-letter it as late)."""
    try:
        return parse_line(event.message, event.timestamp, (limits or env_limits()).line)[0]
    except EmfError:
        return []
