"""The Firehose transform: Ok rows with event-time partition keys, Dropped controls, ProcessingFailed junk."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from consumers.lake.firehose_lambda import store_dead_letters, transform_firehose_event
from schemas.lake import DATA_COLUMN_NAMES
from tests.lake.envelopes import T0, control_record, emf, record

HOUR_MS = 3_600_000
ANON = {"user.id": "id-anon", "session.id": "s2"}


def _fh(record_id: str, data: bytes) -> dict[str, Any]:
    return {"recordId": record_id, "approximateArrivalTimestamp": T0, "data": base64.b64encode(data).decode()}


def test_one_answer_per_record_with_rows_partition_keys_and_reasons() -> None:
    # T0 is 14:05Z; the second event is in the next hour: the record goes whole to its earliest event's hour
    spanning = record(
        [
            (1, T0 + HOUR_MS, emf(T0 + HOUR_MS, ANON, {"claude_code.commit.count": 1})),
            (2, T0, emf(T0, ANON | {"model": "m", "type": "output"}, {"claude_code.token.usage": 10})),
            (3, T0, "garbage"),
        ]
    )
    all_bad = record([(4, T0, "garbage")])
    event = {
        "invocationId": "inv-1",
        "records": [_fh("r1", spanning), _fh("r2", control_record()), _fh("r3", b"not gzip"), _fh("r4", all_bad)],
    }
    outcome = transform_firehose_event(event)
    answers = {r["recordId"]: r for r in outcome.response["records"]}
    assert [r["recordId"] for r in outcome.response["records"]] == ["r1", "r2", "r3", "r4"]
    assert answers["r1"]["result"] == "Ok"
    assert answers["r1"]["metadata"]["partitionKeys"] == {"year": "2025", "month": "08", "day": "21", "hour": "14"}
    assert answers["r2"]["result"] == "Dropped"
    assert answers["r3"]["result"] == "ProcessingFailed" and answers["r4"]["result"] == "ProcessingFailed"

    lines = base64.b64decode(answers["r1"]["data"]).decode().splitlines()
    rows = [json.loads(line) for line in lines]
    assert sorted((r["metric"], r["timestamp"]) for r in rows) == [
        ("claude_code.commit.count", T0 + HOUR_MS),
        ("claude_code.token.usage", T0),
    ]
    for row in rows:  # the transform's output must fit the Glue table Firehose converts with
        assert set(row) <= set(DATA_COLUMN_NAMES), set(row) - set(DATA_COLUMN_NAMES)
    assert next(r for r in rows if r["metric"] == "claude_code.token.usage")["token_usage"] == 10

    reasons = sorted((d.source, d.reason) for d in outcome.dead_letters)
    assert reasons == [("r1", "bad_json"), ("r3", "bad_gzip"), ("r4", "bad_json")]


@dataclass
class FakeS3:
    puts: list[dict[str, Any]] = field(default_factory=list)

    def put_object(self, **kwargs: Any) -> None:
        self.puts.append(kwargs)


def test_dead_letters_are_stored_as_json_lines_under_the_error_prefix() -> None:
    outcome = transform_firehose_event({"records": [_fh("r9", b"junk")]})
    s3 = FakeS3()
    key = store_dead_letters(s3, "lake", "inv-7", outcome.dead_letters, T0)
    assert key == "errors/transform/year=2025/month=08/day=21/hour=14/inv-7.jsonl"
    (put,) = s3.puts
    assert put["Bucket"] == "lake" and put["Key"] == key
    (line,) = put["Body"].decode().splitlines()
    assert json.loads(line)["reason"] == "bad_gzip" and json.loads(line)["source"] == "r9"
