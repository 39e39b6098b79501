"""What the lake transform could not use, with why: written as JSON lines under the lake's `errors/` prefix."""

from __future__ import annotations

import msgspec

from schemas.lake import ERROR_PREFIX, LAKE_END_MS, LAKE_MIN_MS, Partition


class LakeDeadLetter(msgspec.Struct, frozen=True, omit_defaults=True):
    """One unusable record, log event or value.

    `reason` is a stable code from the shared decoders (`bad_gzip`, `bad_json`, `bad_envelope`, `not_emf`,
    `no_timestamp`, `no_metrics`, `negative_value`, ...). `source` says where it came from: `<shard>/<sequence>` for
    the KCL lake writer, the Firehose `recordId` in the Lambda. `payload` is the EMF line, or base64 of the record.
    """

    reason: str
    detail: str
    source: str
    payload: str
    log_event_id: str | None = None
    event_timestamp_ms: int | None = None
    metric: str | None = None


_encoder = msgspec.json.Encoder()


def encode_jsonl(letters: list[LakeDeadLetter]) -> bytes:
    """Dead letters as JSON lines (one object per line, trailing newline)."""
    return b"".join(_encoder.encode(d) + b"\n" for d in letters)


def deadletter_key(kind: str, arrival_ms: int, name: str) -> str:
    """`errors/<kind>/year=…/month=…/day=…/hour=…/<name>.jsonl`, partitioned by arrival time (clamped into the
    lake's range: an unset or absurd arrival time still gives a valid key)."""
    clamped = min(max(arrival_ms, LAKE_MIN_MS), LAKE_END_MS - 1)
    return f"{ERROR_PREFIX}{kind}/{Partition.of(clamped).path}/{name}.jsonl"
