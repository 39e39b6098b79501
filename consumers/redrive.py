"""Redrive: feed dead letters back through the pipeline after a fix, exactly once.

How a letter goes back: as a new subscription record put on the stream, built only from the letter, so the same
letter always gives the same bytes:
- a whole-record letter (`index == -1`: bad gzip, bad envelope, oversized record) → the original record bytes;
- a line letter → a DATA_MESSAGE envelope with one log event: group `REDRIVE_LOG_GROUP`, stream `redrive-<id>`,
  event id `<id>`, the letter's event time and its line.

Exactly once, two ways:
1. After a letter's record is on the stream, a marker `deadletter-redriven/<id>.json` is written; a later redrive
   skips marked letters (`already`).
2. If redrive dies between the put and the marker, or the stream is replayed, the record comes back with the same
   bytes, so the same batch fingerprint: the consumer's de-duplication claim (kept 48 h) counts it once.

Never redriven (reported as `skipped` with why): letters whose line still counted (`line_counted`: a bad value or
a cut attribute — redriving the line would count its good part twice), letters whose payload was truncated (the
digest proves what is missing), and late/future points (their windows are closed; they would be late again).
"""

from __future__ import annotations

import base64
import functools
import gzip
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec

from consumers.sink.deadletter import PREFIX, read_letters
from consumers.sink.dynamodb import with_backoff
from schemas.envelope import DATA_MESSAGE, Envelope, LogEvent

MARKER_PREFIX = "deadletter-redriven/"
REDRIVE_LOG_GROUP = "/ccstream/redrive"
#: Reasons whose payload is not a line the decoder can read again.
NOT_REDRIVABLE = frozenset({"late", "future"})
_encoder = msgspec.json.Encoder()


@dataclass
class RedriveReport:
    found: int = 0  # letters matching the filters
    redriven: int = 0  # put on the stream by this run (or, with --dry-run, that would be)
    already: int = 0  # redriven by an earlier run
    skipped: dict[str, int] = field(default_factory=dict)  # why not redrivable → count
    by_reason: dict[str, int] = field(default_factory=dict)  # redriven (or would be) per dead-letter reason
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        return msgspec.to_builtins(self.__dict__)


def record_for(letter: dict[str, Any]) -> bytes | None:
    """The stream record that feeds `letter` back (deterministic), or None when it cannot be built."""
    payload = letter.get("payload")
    if not isinstance(payload, str):
        return None
    if letter.get("index") == -1:
        try:
            return base64.b64decode(payload, validate=True)
        except ValueError:
            return None
    ident = str(letter["id"])
    ts = letter.get("event_timestamp_ms")
    event = LogEvent(ident, ts if isinstance(ts, int) else 0, payload)
    env = Envelope(DATA_MESSAGE, "", REDRIVE_LOG_GROUP, f"redrive-{ident}", ["ccstream-redrive"], [event])
    return gzip.compress(_encoder.encode(env), mtime=0)


def why_not(letter: dict[str, Any]) -> str | None:
    if letter.get("line_counted"):
        return "line_counted"
    if letter.get("payload_truncated"):
        return "payload_truncated"
    if letter.get("reason") in NOT_REDRIVABLE:
        return str(letter.get("reason"))
    return None


def _objects(s3: Any, bucket: str, from_ms: int | None, to_ms: int | None) -> Iterator[str]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=PREFIX):
        for obj in page.get("Contents", []):
            modified: datetime = obj["LastModified"]
            ms = int(modified.timestamp() * 1000)
            if (from_ms is None or ms >= from_ms) and (to_ms is None or ms < to_ms):
                yield obj["Key"]


def _marked(s3: Any, bucket: str) -> set[str]:
    out: set[str] = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=MARKER_PREFIX):
        for obj in page.get("Contents", []):
            out.add(obj["Key"][len(MARKER_PREFIX) :].removesuffix(".json"))
    return out


def redrive(
    s3: Any,
    kinesis: Any,
    bucket: str,
    stream: str,
    *,
    reason: str | None = None,
    from_ms: int | None = None,
    to_ms: int | None = None,
    dry_run: bool = False,
) -> RedriveReport:
    """Put every matching, redrivable, not yet redriven dead letter back on `stream`; mark each one done."""
    report = RedriveReport(dry_run=dry_run)
    done = _marked(s3, bucket)
    seen: set[str] = set()
    todo: list[tuple[dict[str, Any], bytes]] = []
    for key in _objects(s3, bucket, from_ms, to_ms):
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        for letter in read_letters(body):
            ident = str(letter.get("id", ""))
            if not ident or ident in seen or (reason is not None and letter.get("reason") != reason):
                continue
            seen.add(ident)
            report.found += 1
            if ident in done:
                report.already += 1
                continue
            why = why_not(letter)
            data = None if why else record_for(letter)
            if data is None:
                why = why or "unreadable_payload"
                report.skipped[why] = report.skipped.get(why, 0) + 1
                continue
            todo.append((letter, data))
    for i in range(0, len(todo), 100):
        chunk = todo[i : i + 100]
        if not dry_run:
            _put(kinesis, stream, chunk)
            for letter, _ in chunk:
                marker = _encoder.encode({"id": letter["id"], "reason": letter.get("reason")})
                s3.put_object(Bucket=bucket, Key=f"{MARKER_PREFIX}{letter['id']}.json", Body=marker)
        for letter, _ in chunk:
            r = str(letter.get("reason"))
            report.by_reason[r] = report.by_reason.get(r, 0) + 1
            report.redriven += 1
    return report


def _put(kinesis: Any, stream: str, chunk: list[tuple[dict[str, Any], bytes]]) -> None:
    """PutRecords, re-sending only the entries Kinesis reports as failed (throttled), with backoff."""
    entries = [{"Data": data, "PartitionKey": str(letter["id"])} for letter, data in chunk]
    for _ in range(8):
        resp = with_backoff(functools.partial(kinesis.put_records, StreamName=stream, Records=entries), "PutRecords")
        if not resp.get("FailedRecordCount"):
            return
        entries = [e for e, r in zip(entries, resp["Records"], strict=True) if r.get("ErrorCode")]
    raise RuntimeError(f"PutRecords: {len(entries)} records still failing after retries")
