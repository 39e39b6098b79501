"""Typed records passed between the pure modules (no boto3, no amazon_kclpy here)."""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

import msgspec

#: (sequence number, sub-sequence number) — the order of records within one shard.
Position = tuple[int, int]

#: Width of zero-padded sequence numbers in strings: Kinesis sequence numbers are ~56 digits, more than
#: DynamoDB's 38-digit Number, so they are stored as strings that sort like the numbers.
SEQ_DIGITS = 64
SUBSEQ_DIGITS = 10


def position_str(pos: Position) -> str:
    """A position as a string that sorts lexicographically in position order (used as a DynamoDB fence)."""
    return f"{pos[0]:0{SEQ_DIGITS}d}.{pos[1]:0{SUBSEQ_DIGITS}d}"


def parse_position(text: str) -> Position:
    seq, _, sub = text.partition(".")
    return int(seq), int(sub or 0)


RowKind = Literal["W", "U", "E"]  # E: event partials (consumers/shard/eventbook.py)


class RowKey(NamedTuple):
    """One partial row of one shard: kind W (window dims), U (users, bucketed) or E (events), size and start."""

    kind: RowKind
    size: str
    start_ms: int
    bucket: int = 0


def window_of(key: RowKey) -> RowKey:
    """The window a row belongs to (its key with bucket 0): what a bucket count is stored for."""
    return key._replace(bucket=0)


class SourceRecord(msgspec.Struct, frozen=True):
    """One Kinesis record as the consumer sees it (kclpy's Record, minus kclpy)."""

    shard_id: str
    sequence_number: int
    sub_sequence_number: int
    partition_key: str
    data: bytes
    arrival_ms: int

    @property
    def position(self) -> Position:
        return (self.sequence_number, self.sub_sequence_number)


class DeadLetter(msgspec.Struct, frozen=True):
    """Something that could not be counted, with why. Written to the dead-letter destination and counted."""

    reason: str
    detail: str
    shard_id: str
    sequence_number: str
    sub_sequence_number: int
    index: int  # position inside the record (log event index, or -1 for the whole record)
    payload: str  # the raw payload: the EMF line, or base64 of the record bytes
    log_event_id: str | None = None
    metric: str | None = None
    event_timestamp_ms: int | None = None
    #: True when the rest of the line still counted (a bad value, a cut attribute): never redriven.
    line_counted: bool = False
    #: Set when `payload` is only the start of it: the whole payload's length and SHA-256.
    payload_truncated: bool = False
    payload_chars: int | None = None
    payload_sha256: str | None = None


def letter_of(rec: SourceRecord, reason: str, detail: str, index: int, payload: str, **fields: Any) -> DeadLetter:
    """A dead letter about item `index` of `rec` (-1: the whole record), `detail` cut to 500 characters; `fields`
    are DeadLetter's optional fields."""
    return DeadLetter(
        reason=reason,
        detail=detail[:500],
        shard_id=rec.shard_id,
        sequence_number=str(rec.sequence_number),
        sub_sequence_number=rec.sub_sequence_number,
        index=index,
        payload=payload,
        **fields,
    )
