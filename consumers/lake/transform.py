"""One subscription record (gzip'd CloudWatch Logs envelope) → flat lake rows, one per data point.

The same function serves the Firehose transform Lambda (`firehose_lambda.py`) and the local KCL lake writer
(`consumers/kcl/lake_processor.py`), and it decodes with the same `schemas.envelope` / `schemas.emf` code as the
aggregating consumer. Control messages give no rows; anything unusable becomes a `LakeDeadLetter` with its reason,
and a bad log event never spoils the other events of its record.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec

from consumers.errors import ConfigError
from consumers.lake.deadletter import LakeDeadLetter
from schemas.catalogue import TOKEN_USAGE, user_key
from schemas.emf import DEFAULT_LIMITS, DEGRADED_REASONS, DataPoint, EmfError, LineLimits, Rejected, parse_line
from schemas.envelope import (
    CONTROL_MESSAGE,
    DATA_MESSAGE,
    MAX_RECORD_BYTES,
    Envelope,
    EnvelopeDecodeError,
    LogEvent,
    decode_envelope,
)
from schemas.lake import ATTRIBUTE_COLUMNS, Partition, in_lake_range

#: Rows one record may give (a real record: ~1,200). Beyond it the rest of the record's events are dead letters
#: `record_points_limited`: what a small gzip'd record can make the writer or the Lambda hold stays bounded.
#: `CCSTREAM_LAKE_MAX_RECORD_POINTS` overrides it (`max_record_points_from_env`).
MAX_RECORD_POINTS = 50_000


def max_record_points_from_env(env: Mapping[str, str] | None = None) -> int:
    """`CCSTREAM_LAKE_MAX_RECORD_POINTS`, else `MAX_RECORD_POINTS`; a value that is not a positive integer is
    refused (ConfigError) rather than silently replaced."""
    raw = (os.environ if env is None else env).get("CCSTREAM_LAKE_MAX_RECORD_POINTS", "")
    if raw == "":
        return MAX_RECORD_POINTS
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"CCSTREAM_LAKE_MAX_RECORD_POINTS={raw!r} must be a positive integer")
    return int(raw)


#: Characters of a lake dead letter's payload that are kept (every event CloudWatch Logs accepts, whole).
MAX_PAYLOAD_CHARS = 256 * 1024

Row = dict[str, Any]


@dataclass(slots=True)
class RecordRows:
    """What one record turned into. `kind` is `data`, `control` (health check, nothing to keep) or `bad`."""

    kind: Literal["data", "control", "bad"]
    rows: list[Row] = field(default_factory=list)
    dead_letters: list[LakeDeadLetter] = field(default_factory=list)

    def partitions(self) -> dict[Partition, list[Row]]:
        """Rows grouped by their own event-time hour (each point's, not the record's)."""
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
    if extra:
        row["attributes"] = extra
    return row


_GZIP_MAGIC = b"\x1f\x8b"
_plain_decoder = msgspec.json.Decoder(Envelope)


def decode_any_envelope(data: bytes) -> Envelope:
    """A subscription envelope, gzip'd (as CloudWatch Logs sends it) or already decompressed (Firehose's
    Decompression processor). Raises EnvelopeDecodeError with the shared stable reasons."""
    if data[:2] == _GZIP_MAGIC:
        return decode_envelope(data, MAX_RECORD_BYTES)
    try:
        env = _plain_decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise EnvelopeDecodeError("bad_envelope", str(exc)) from exc
    except msgspec.DecodeError as exc:
        raise EnvelopeDecodeError("bad_gzip", f"neither gzip nor JSON: {exc}") from exc
    if env.message_type not in (DATA_MESSAGE, CONTROL_MESSAGE):
        raise EnvelopeDecodeError("bad_envelope", f"unknown messageType {env.message_type!r}")
    return env


def _payload(text: str) -> str:
    if len(text) <= MAX_PAYLOAD_CHARS:
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{text[:MAX_PAYLOAD_CHARS]}…[cut: {len(text)} chars, sha256 {digest}]"


def _letter(reason: str, detail: str, source: str, event: LogEvent, metric: str | None = None) -> LakeDeadLetter:
    return LakeDeadLetter(reason, detail[:500], source, _payload(event.message), str(event.id), event.timestamp, metric)


def _grouped(rejected: list[Rejected], source: str, event: LogEvent) -> list[LakeDeadLetter]:
    """One dead letter per reason and line (a line with 2,000 bad values is one letter, not 2,000)."""
    by: dict[str, list[Rejected]] = {}
    for r in rejected:
        by.setdefault(r.reason, []).append(r)
    out = []
    for reason, items in by.items():
        detail = items[0].raw if len(items) == 1 else f"{len(items)} items, first {items[0].metric}: {items[0].raw}"
        out.append(_letter(reason, detail, source, event, items[0].metric[:200] or None))
    return out


def transform_record(
    data: bytes, source: str, limits: LineLimits = DEFAULT_LIMITS, max_points: int = MAX_RECORD_POINTS
) -> RecordRows:
    """Decode one subscription record into rows and dead letters. Never raises for bad input.

    Points outside the lake's partition projection are dead letters (`outside_lake_range`), never hidden rows."""
    try:
        env = decode_any_envelope(data)
    except EnvelopeDecodeError as exc:
        payload = base64.b64encode(data[: MAX_PAYLOAD_CHARS * 3 // 4]).decode()
        return RecordRows("bad", dead_letters=[LakeDeadLetter(exc.reason, exc.detail[:500], source, payload)])
    if env.is_control:
        return RecordRows("control")

    out = RecordRows("data")
    for n, event in enumerate(env.log_events):
        if len(out.rows) >= max_points:
            rest = len(env.log_events) - n
            detail = f"{rest} log events after {max_points} rows not read"
            out.dead_letters.append(_letter("record_points_limited", detail, source, event))
            break
        try:
            points, rejected = parse_line(event.message, event.timestamp, limits)
        except EmfError as exc:
            out.dead_letters.append(_letter(exc.reason, exc.detail, source, event))
            continue
        outside = [p for p in points if not in_lake_range(p.timestamp_ms)]
        if outside:
            points = [p for p in points if in_lake_range(p.timestamp_ms)]
            rejected = [*rejected, Rejected(outside[0].metric, "outside_lake_range", str(outside[0].timestamp_ms))]
        out.dead_letters.extend(_grouped(rejected, source, event))
        key = event_key(env.log_group, env.log_stream, event)
        out.rows.extend(point_row(p, str(event.id), key, i) for i, p in enumerate(points))
    return out


__all__ = ["DEGRADED_REASONS", "RecordRows", "Row", "event_key", "point_row", "transform_record"]
