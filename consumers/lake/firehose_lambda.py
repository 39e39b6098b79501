"""The Firehose data-transformation Lambda: subscription records in, newline-delimited JSON lake rows out.

Handler: `consumers.lake.firehose_lambda.handler`. Firehose reads the Kinesis stream, calls this function with
batches of records (base64 of the gzip'd CloudWatch Logs envelope), converts the JSON rows to Parquet with the Glue
table `metrics_raw` (OpenX JSON SerDe; several JSON documents in one record are allowed) and writes them under
`metrics/year=!{partitionKeyFromLambda:year}/month=…/day=…/hour=…/` (dynamic partitioning).

Per record the answer is:
- `Ok`: every data point as one JSON row; `metadata.partitionKeys` = the event-time hour of the record's earliest
  data point. Firehose cannot split one input record, so a subscription batch that straddles an hour boundary
  lands whole in its first hour (rows keep their exact `timestamp`; see README "lake partitions").
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
from consumers.lake.transform import transform_record
from schemas.lake import Partition

log = logging.getLogger("ccstream.firehose")

_encoder = msgspec.json.Encoder()


@dataclass(frozen=True)
class FirehoseOutcome:
    """The response to return to Firehose and the dead letters to keep."""

    response: dict[str, Any]
    dead_letters: list[LakeDeadLetter]


def encode_rows(rows: list[dict[str, Any]]) -> bytes:
    """Newline-delimited JSON, NULL columns left out (the SerDe reads a missing key as NULL)."""
    return b"".join(_encoder.encode({k: v for k, v in row.items() if v is not None}) + b"\n" for row in rows)


def transform_firehose_event(event: dict[str, Any]) -> FirehoseOutcome:
    """Pure transform of one Firehose invocation (no AWS calls)."""
    results: list[dict[str, Any]] = []
    letters: list[LakeDeadLetter] = []
    for rec in event.get("records", []):
        record_id = rec["recordId"]
        out = transform_record(base64.b64decode(rec["data"]), source=record_id)
        letters.extend(out.dead_letters)
        if out.rows:
            first = Partition.of(min(r["timestamp"] for r in out.rows))
            results.append(
                {
                    "recordId": record_id,
                    "result": "Ok",
                    "data": base64.b64encode(encode_rows(out.rows)).decode(),
                    "metadata": {"partitionKeys": first.keys()},
                }
            )
        else:
            result = "ProcessingFailed" if out.dead_letters else "Dropped"
            results.append({"recordId": record_id, "result": result, "data": rec["data"]})
    return FirehoseOutcome({"records": results}, letters)


def store_dead_letters(s3: Any, bucket: str, name: str, letters: list[LakeDeadLetter], now_ms: int) -> str:
    """Write dead letters as one JSON-lines object under `errors/transform/`; returns its key."""
    key = deadletter_key("transform", now_ms, name)
    s3.put_object(Bucket=bucket, Key=key, Body=encode_jsonl(letters), ContentType="application/x-ndjson")
    return key


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point. Dead letters go to $CCSTREAM_LAKE_BUCKET (and to the function's log)."""
    outcome = transform_firehose_event(event)
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
