"""One subscription record (gzip'd CloudWatch Logs envelope) → flat lake rows, one per data point.

The same function serves the Firehose transform Lambda (`firehose_lambda.py`) and the local KCL lake writer
(`consumers/kcl/lake_processor.py`), and it decodes with the same `schemas.envelope` / `schemas.emf` code as the
aggregating consumer. Control messages give no rows; anything unusable becomes a `LakeDeadLetter` with its reason,
and a bad log event never spoils the other events of its record.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec

from consumers.lake.deadletter import LakeDeadLetter
from schemas.catalogue import TOKEN_USAGE, user_key
from schemas.emf import DataPoint, EmfError, parse_line
from schemas.envelope import (
    CONTROL_MESSAGE,
    DATA_MESSAGE,
    Envelope,
    EnvelopeDecodeError,
    LogEvent,
    decode_envelope,
)
from schemas.lake import ATTRIBUTE_COLUMNS, Partition

Row = dict[str, Any]


@dataclass(slots=True)
class RecordRows:
    """What one record turned into. `kind` is `data`, `control` (health check, nothing to keep) or `bad`."""

    kind: Literal["data", "control", "bad"]
    rows: list[Row] = field(default_factory=list)
    dead_letters: list[LakeDeadLetter] = field(default_factory=list)

    def partitions(self) -> dict[Partition, list[Row]]:
        """Rows grouped by their event-time hour."""
        out: dict[Partition, list[Row]] = {}
        for row in self.rows:
            out.setdefault(Partition.of(row["timestamp"]), []).append(row)
        return out


def event_key(log_group: str, log_stream: str, event: LogEvent) -> str:
    """Identity of one log event: equal for a redelivery, distinct otherwise.

    Real CloudWatch ids are unique, but moto numbers events from a per-process counter, so the hash covers the
    group, stream, id, timestamp and message.
    """
    h = hashlib.blake2b(digest_size=16)
    for part in (log_group, log_stream, str(event.id), str(event.timestamp)):
        h.update(part.encode())
        h.update(b"\x00")
    h.update(event.message.encode())
    return h.hexdigest()


def point_row(point: DataPoint, log_event_id: str, key: str, index: int) -> Row:
    """The lake row of one data point (column names from `schemas.lake`)."""
    attrs = point.attributes
    row: Row = {
        "timestamp": point.timestamp_ms,
        "token_usage": point.value if point.metric == TOKEN_USAGE else None,
        "metric": point.metric,
        "value": point.value,
        "unit": point.unit or None,
        "log_event_id": log_event_id,
        "event_key": key,
        "point_index": index,
        "user_key": user_key(attrs),
    }
    extra: dict[str, str] = {}
    for name, val in attrs.items():
        col = ATTRIBUTE_COLUMNS.get(name)
        if col is None:
            extra[name] = val
        else:
            row[col] = val
    row["attributes"] = extra
    return row


_GZIP_MAGIC = b"\x1f\x8b"
_plain_decoder = msgspec.json.Decoder(Envelope)


def decode_any_envelope(data: bytes) -> Envelope:
    """A subscription envelope, gzip'd (as CloudWatch Logs sends it) or already decompressed (Firehose's
    Decompression processor). Raises EnvelopeDecodeError with the shared stable reasons."""
    if data[:2] == _GZIP_MAGIC:
        return decode_envelope(data)
    try:
        env = _plain_decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise EnvelopeDecodeError("bad_envelope", str(exc)) from exc
    except msgspec.DecodeError as exc:
        raise EnvelopeDecodeError("bad_gzip", f"neither gzip nor JSON: {exc}") from exc
    if env.message_type not in (DATA_MESSAGE, CONTROL_MESSAGE):
        raise EnvelopeDecodeError("bad_envelope", f"unknown messageType {env.message_type!r}")
    return env


def transform_record(data: bytes, source: str) -> RecordRows:
    """Decode one subscription record into rows and dead letters. Never raises for bad input."""
    try:
        env = decode_any_envelope(data)
    except EnvelopeDecodeError as exc:
        payload = base64.b64encode(data).decode()
        return RecordRows("bad", dead_letters=[LakeDeadLetter(exc.reason, exc.detail[:500], source, payload)])
    if env.is_control:
        return RecordRows("control")

    out = RecordRows("data")
    for event in env.log_events:
        event_id = str(event.id)
        try:
            points, rejected = parse_line(event.message)
        except EmfError as exc:
            out.dead_letters.append(
                LakeDeadLetter(exc.reason, exc.detail[:500], source, event.message, event_id, event.timestamp)
            )
            continue
        for r in rejected:
            out.dead_letters.append(
                LakeDeadLetter(r.reason, r.raw, source, event.message, event_id, event.timestamp, r.metric)
            )
        key = event_key(env.log_group, env.log_stream, event)
        out.rows.extend(point_row(p, event_id, key, i) for i, p in enumerate(points))
    return out
