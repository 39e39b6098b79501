"""Replay inputs are recognised by content, whatever they are called, in every common capture shape.

Each shape is written here from the committed midnight fixture with the standard library (json, base64), and
the expected (data, partition key) pairs are read from that fixture the same way, not through ccstream.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from consumers.aws import AwsTarget
from consumers.config import Names
from consumers.replay.captures import InputFormat, detect_format, read_captured
from consumers.replay.errors import ReplayInputError
from consumers.replay.replay import replay_paths
from tests.replay.streams import make_pipeline, read_all

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def fixture_records() -> list[dict[str, Any]]:
    return [json.loads(x) for x in (FIXTURES / "midnight.kinesis.jsonl").read_text().splitlines() if x.strip()]


def expected_pairs(records: list[dict[str, Any]]) -> list[tuple[bytes, str]]:
    return [(base64.b64decode(r["Data"]), r["PartitionKey"]) for r in records]


def lambda_event(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": r["PartitionKey"],
                    "sequenceNumber": r["SequenceNumber"],
                    "data": r["Data"],
                    "approximateArrivalTimestamp": 1795219203.512,
                },
                "eventSource": "aws:kinesis",
                "eventID": f"shardId-000000000000:{r['SequenceNumber']}",
                "eventName": "aws:kinesis:record",
            }
            for r in records
        ]
    }


def shapes(records: list[dict[str, Any]]) -> dict[str, str]:
    """File name -> content, one per capture shape."""
    half = len(records) // 2
    bare = [{"Data": r["Data"], "PartitionKey": r["PartitionKey"]} for r in records]  # no arrival time at all
    page = {"Records": records[:half], "NextShardIterator": "AAAA", "MillisBehindLatest": 0}
    page2 = {"Records": records[half:], "NextShardIterator": "BBBB", "MillisBehindLatest": 0}
    return {
        "kinesis.jsonl": "".join(json.dumps(r) + "\n" for r in records),
        "capture.txt": "".join(json.dumps(r) + "\n" for r in bare),
        "get-records.json": json.dumps(page, indent=4) + "\n" + json.dumps(page2, indent=4) + "\n",
        "pages.jsonl": json.dumps(page) + "\n\n" + json.dumps(page2) + "\n",
        "event.json": json.dumps(lambda_event(records), indent=2),
        "events.ndjson": json.dumps(lambda_event(records[:half])) + "\n" + json.dumps(lambda_event(records[half:])),
        "records-list.json": json.dumps(records, indent=1),
    }


@pytest.mark.parametrize("name", list(shapes(fixture_records()[:3])))
def test_every_capture_shape_gives_the_same_records(tmp_path: Path, name: str) -> None:
    records = fixture_records()
    path = tmp_path / name
    path.write_text(shapes(records)[name])
    assert detect_format(path) is InputFormat.KINESIS
    assert list(read_captured(path)) == expected_pairs(records)


def test_emf_lines_are_recognised_by_content_whatever_the_name(tmp_path: Path) -> None:
    path = tmp_path / "collector-output.log"
    path.write_text((FIXTURES / "midnight.emf.ndjson").read_text())
    assert detect_format(path) is InputFormat.EMF


def test_broken_lines_fall_back_to_the_name(tmp_path: Path) -> None:
    broken = 'not json\n{"_aws": 3}\n'
    (tmp_path / "hostile.emf.ndjson").write_text(broken)
    (tmp_path / "hostile.kinesis.jsonl").write_text(broken)
    assert detect_format(tmp_path / "hostile.emf.ndjson") is InputFormat.EMF
    assert detect_format(tmp_path / "hostile.kinesis.jsonl") is InputFormat.KINESIS


@pytest.mark.parametrize(
    "content",
    ["{}\n", '{"Records": {"a": 1}}', '{"message": "hello"}\n', "plain text\n", '[{"x": 1}]', ""],
)
def test_unknown_shapes_name_what_was_expected(tmp_path: Path, content: str) -> None:
    path = tmp_path / "capture.dat"
    path.write_text(content)
    with pytest.raises(ReplayInputError) as info:
        detect_format(path)
    message = str(info.value)
    for expected in ("_aws", "PartitionKey", "get-records", "Lambda Kinesis event"):
        assert expected in message


def test_a_bad_record_names_its_place(tmp_path: Path) -> None:
    records = fixture_records()[:2]
    path = tmp_path / "get-records.json"
    path.write_text(json.dumps({"Records": [records[0], {"Data": records[1]["Data"]}]}, indent=2))
    with pytest.raises(ReplayInputError, match=r"document 1\) Records\[1\].*PartitionKey"):
        list(read_captured(path))
    (tmp_path / "x.jsonl").write_text(json.dumps(records[0]) + "\n" + json.dumps({**records[1], "Data": "@@"}) + "\n")
    with pytest.raises(ReplayInputError, match=r"x\.jsonl:2: .*base64"):
        list(read_captured(tmp_path / "x.jsonl"))


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ReplayInputError, match="no such file"):
        detect_format(tmp_path / "nope.json")


@pytest.mark.emulator
def test_lambda_event_and_oddly_named_captures_arrive_unchanged(aws: AwsTarget, tmp_path: Path) -> None:
    records = fixture_records()
    files = []
    for name in ("kinesis.jsonl", "event.json", "get-records.json"):
        files.append(tmp_path / name)
        files[-1].write_text(shapes(records)[name])
    pipe = make_pipeline(aws, subscribe=False)
    summary = replay_paths(aws, Names(), files, stream=pipe.stream)
    sent = Counter(expected_pairs(records) * 3)
    assert summary.kinesis_records_sent == sum(sent.values())
    assert [f.format for f in summary.files] == ["kinesis"] * 3
    assert Counter((r["Data"], r["PartitionKey"]) for r in read_all(pipe.kinesis, pipe.stream)) == sent
