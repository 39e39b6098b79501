"""The Firehose data-transformation Lambda: subscription records in, newline-delimited JSON lake rows out.

Handler: `consumers.lake.firehose_lambda.handler`. Firehose reads the Kinesis stream, calls this function with
batches of records (base64 of the gzip'd CloudWatch Logs envelope), converts the JSON rows to Parquet with the Glue
table `metrics_raw` (OpenX JSON SerDe; several JSON documents in one record are allowed) and writes them under
`metrics/year=!{partitionKeyFromLambda:year}/month=…/day=…/hour=…/` (dynamic partitioning).

Per record the answer is:
- `Ok`: every data point as one JSON row; `metadata.partitionKeys` = the event-time hour holding most of the
  record's rows (ties: the earliest). Firehose cannot split one input record, so a subscription batch that
  straddles an hour boundary lands whole in one of its hours (rows keep their exact `timestamp`; see README "lake
  partitions"). Points outside the projection range never become rows (dead letter `outside_lake_range`), so no
  record can be hidden in a partition Athena does not project (the local KCL lake writer partitions every row).
- `ProcessingFailed` also for a record whose rows would take the response past `RESPONSE_BUDGET_BYTES` (Lambda's
  6 MB response limit, less room for the rest): it goes to the error prefix whole and a `response_budget` dead
  letter says so. With the processor's `BufferSizeInMBs` at 0.2 (`infra/analytics.yaml`) real records never hit
  it (`tests/lake/test_firehose_budget.py` measures the ratio).
- `Dropped`: a CloudWatch Logs control message, or a data message without log events.
- `ProcessingFailed`: nothing usable (bad gzip/JSON/envelope, or every event bad): Firehose writes the raw record
  under its error prefix (`errors/processing-failed/…`).
Every unusable record, event or value is also written, with its reason, to
`s3://$CCSTREAM_LAKE_BUCKET/errors/transform/year=…/…/<invocationId>.jsonl`.
"""

from __future__ import annotations

import base64
import logging
import os
import time
from dataclasses import dataclass
from typing import Any

import msgspec

from consumers.lake.deadletter import LakeDeadLetter, deadletter_key, encode_jsonl
from consumers.lake.transform import MAX_RECORD_POINTS, max_record_points_from_env, transform_record
from schemas.lake import Partition

log = logging.getLogger("ccstream.firehose")

_encoder = msgspec.json.Encoder()

#: Lambda's synchronous response limit is 6 MB (6,291,456 bytes); keep 256 KiB for the JSON around the data.
RESPONSE_LIMIT_BYTES = 6 * 1024 * 1024
RESPONSE_BUDGET_BYTES = RESPONSE_LIMIT_BYTES - 256 * 1024


@dataclass(frozen=True)
class FirehoseOutcome:
    """The response to return to Firehose and the dead letters to keep."""

    response: dict[str, Any]
    dead_letters: list[LakeDeadLetter]


def encode_rows(rows: list[dict[str, Any]]) -> bytes:
    """Newline-delimited JSON, NULL columns left out (the SerDe reads a missing key as NULL)."""
    return b"".join(_encoder.encode({k: v for k, v in row.items() if v is not None}) + b"\n" for row in rows)


def _partition_of(rows: list[dict[str, Any]]) -> Partition:
    """The hour holding most rows (ties: the earliest): the one partition a whole Firehose record can go to."""
    counts: dict[Partition, int] = {}
    for r in rows:
        p = Partition.of(r["timestamp"])
        counts[p] = counts.get(p, 0) + 1
    return min(counts, key=lambda p: (-counts[p], p))


def transform_firehose_event(
    event: dict[str, Any], budget_bytes: int = RESPONSE_BUDGET_BYTES, max_points: int = MAX_RECORD_POINTS
) -> FirehoseOutcome:
    """Pure transform of one Firehose invocation (no AWS calls). The response stays under `budget_bytes`."""
    results: list[dict[str, Any]] = []
    letters: list[LakeDeadLetter] = []
    records = event.get("records", [])
    # What is still owed: every record not yet answered may have to be returned as it came (ProcessingFailed).
    owed = sum(len(rec.get("data", "")) + 200 for rec in records)
    used = 0
    for rec in records:
        record_id = rec["recordId"]
        original = rec.get("data", "")
        owed -= len(original) + 200
        try:
            raw = base64.b64decode(original, validate=True)
        except ValueError:
            raw = b""
        out = transform_record(raw, source=record_id, max_points=max_points)
        letters.extend(out.dead_letters)
        answer: dict[str, Any]
        if out.rows:
            data = base64.b64encode(encode_rows(out.rows)).decode()
            if used + len(data) + 200 + owed <= budget_bytes:
                answer = {
                    "recordId": record_id,
                    "result": "Ok",
                    "data": data,
                    "metadata": {"partitionKeys": _partition_of(out.rows).keys()},
                }
            else:
                detail = f"{len(out.rows)} rows ({len(data)} bytes) would pass the {budget_bytes}-byte response budget"
                letters.append(LakeDeadLetter("response_budget", detail, record_id, ""))
                answer = {"recordId": record_id, "result": "ProcessingFailed", "data": original}
        else:
            result = "ProcessingFailed" if out.dead_letters else "Dropped"
            answer = {"recordId": record_id, "result": result, "data": original}
        used += len(answer["data"]) + 200
        results.append(answer)
    return FirehoseOutcome({"records": results}, letters)


def store_dead_letters(s3: Any, bucket: str, name: str, letters: list[LakeDeadLetter], now_ms: int) -> str:
    """Write dead letters as one JSON-lines object under `errors/transform/`; returns its key."""
    key = deadletter_key("transform", now_ms, name)
    s3.put_object(Bucket=bucket, Key=key, Body=encode_jsonl(letters), ContentType="application/x-ndjson")
    return key


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point. Dead letters go to $CCSTREAM_LAKE_BUCKET (and to the function's log)."""
    outcome = transform_firehose_event(event, max_points=max_record_points_from_env())
    if outcome.dead_letters:
        log.warning(
            "%d unusable records/events/values: %s",
            len(outcome.dead_letters),
            encode_jsonl(outcome.dead_letters)[:2000].decode(errors="replace"),
        )
        bucket = os.environ.get("CCSTREAM_LAKE_BUCKET")
        if bucket:
            import boto3

            name = str(event.get("invocationId") or getattr(context, "aws_request_id", "unknown"))
            store_dead_letters(boto3.client("s3"), bucket, name, outcome.dead_letters, int(time.time() * 1000))
    return outcome.response
