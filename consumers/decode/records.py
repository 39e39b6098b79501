"""Decode one Kinesis record from a CloudWatch Logs subscription.

A record is gzip'd JSON (kclpy already base64-decoded it). Control messages carry no data. Every failure becomes a
`DeadLetter` with a stable reason; a bad log event never spoils the other events of its record.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Literal

from consumers.model import DeadLetter, SourceRecord
from schemas.emf import DataPoint, EmfError, parse_line
from schemas.envelope import Envelope, EnvelopeDecodeError, decode_envelope


@dataclass(slots=True)
class DecodedEvent:
    log_event_id: str
    index: int
    points: list[DataPoint]


@dataclass(slots=True)
class DecodedRecord:
    kind: Literal["data", "control", "bad"]
    fingerprint: str = ""
    log_stream: str = ""
    events: list[DecodedEvent] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    event_count: int = 0


def record_fingerprint(env: Envelope) -> str:
    """Identity of a subscription batch: equal for a CloudWatch redelivery, distinct otherwise.

    Real log event ids are unique, but moto numbers them from a per-process counter, so the hash also covers the
    stream, timestamps and messages.
    """
    h = hashlib.blake2b(digest_size=16)
    h.update(env.log_group.encode())
    h.update(b"\x00")
    h.update(env.log_stream.encode())
    for ev in env.log_events:
        h.update(f"\x00{ev.id}\x00{ev.timestamp}\x00".encode())
        h.update(ev.message.encode())
    return h.hexdigest()


def _dead(rec: SourceRecord, reason: str, detail: str, index: int, payload: str, **kw: object) -> DeadLetter:
    return DeadLetter(
        reason=reason,
        detail=detail[:500],
        shard_id=rec.shard_id,
        sequence_number=str(rec.sequence_number),
        sub_sequence_number=rec.sub_sequence_number,
        index=index,
        payload=payload,
        **kw,  # type: ignore[arg-type]
    )


def decode_record(rec: SourceRecord) -> DecodedRecord:
    try:
        env = decode_envelope(rec.data)
    except EnvelopeDecodeError as exc:
        payload = base64.b64encode(rec.data).decode()
        return DecodedRecord("bad", dead_letters=[_dead(rec, exc.reason, exc.detail, -1, payload)])
    if env.is_control:
        return DecodedRecord("control")

    out = DecodedRecord("data", fingerprint=record_fingerprint(env), log_stream=env.log_stream)
    out.event_count = len(env.log_events)
    for index, ev in enumerate(env.log_events):
        event_id = str(ev.id)
        try:
            points, rejected = parse_line(ev.message)
        except EmfError as exc:
            out.dead_letters.append(
                _dead(
                    rec,
                    exc.reason,
                    exc.detail,
                    index,
                    ev.message,
                    log_event_id=event_id,
                    event_timestamp_ms=ev.timestamp,
                )
            )
            continue
        for r in rejected:
            out.dead_letters.append(
                _dead(
                    rec,
                    r.reason,
                    r.raw,
                    index,
                    ev.message,
                    log_event_id=event_id,
                    metric=r.metric,
                    event_timestamp_ms=ev.timestamp,
                )
            )
        if points:
            out.events.append(DecodedEvent(event_id, index, points))
    return out
