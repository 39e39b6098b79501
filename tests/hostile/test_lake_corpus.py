"""The hostile corpus (tests/hostile/corpus.py) through the lake's transform, as the KCL lake writer and the Firehose
Lambda run it: every good point is one row, every bad item a dead letter with its reason (late and future points
are rows here: the lake keeps event time and screens no lateness), nothing lands outside the partition
projection, and one Firehose invocation of the whole corpus answers every record within the response limit."""

from __future__ import annotations

import base64
import json
from collections import Counter

import pytest

from consumers.lake.firehose_lambda import RESPONSE_LIMIT_BYTES, transform_firehose_event
from consumers.lake.transform import transform_record
from schemas.lake import LAKE_END_MS, LAKE_MIN_MS
from tests.hostile.corpus import COMMITS, MINUTE, Corpus, build


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return build()


def _minutes(rows: list[dict]) -> dict[int, float]:
    out: Counter[int] = Counter()
    for r in rows:
        assert r["metric"] == COMMITS
        out[r["timestamp"] - r["timestamp"] % MINUTE] += r["value"]
    return dict(out)


def test_lake_transform_of_the_corpus(corpus: Corpus) -> None:
    rows: list[dict] = []
    letters: dict[tuple[int, int], list[str]] = {}
    for n, rec in enumerate(corpus.records):
        out = transform_record(rec.data, source=f"shardId-000000000000/{n}")
        rows += out.rows
        for dl in out.dead_letters:
            index = -1 if dl.log_event_id is None else int(dl.log_event_id)
            letters.setdefault((n, index), []).append(dl.reason)
    assert _minutes(rows) == corpus.expected_lake_minutes()
    assert {k: tuple(sorted(v)) for k, v in letters.items()} == corpus.expected_lake_letters()
    assert all(LAKE_MIN_MS <= r["timestamp"] < LAKE_END_MS for r in rows)


def test_one_firehose_invocation_of_the_corpus(corpus: Corpus) -> None:
    event = {
        "invocationId": "i-1",
        "records": [
            {"recordId": f"r{n}", "data": base64.b64encode(rec.data).decode()} for n, rec in enumerate(corpus.records)
        ],
    }
    outcome = transform_firehose_event(event)
    answers = outcome.response["records"]
    assert [a["recordId"] for a in answers] == [f"r{n}" for n in range(len(corpus.records))]
    assert len(json.dumps(outcome.response)) < RESPONSE_LIMIT_BYTES
    rows = [
        json.loads(line)
        for a in answers
        if a["result"] == "Ok"
        for line in base64.b64decode(a["data"]).decode().splitlines()
    ]
    assert _minutes(rows) == corpus.expected_lake_minutes()
    bad_records = {i.record for i in corpus.items if i.index == -1}
    for n, a in enumerate(answers):
        if n in bad_records:
            assert a["result"] == "ProcessingFailed" and a["data"] == event["records"][n]["data"]
        else:
            assert a["result"] == "Ok"
            year = int(a["metadata"]["partitionKeys"]["year"])
            assert 2025 <= year < 2100
    assert Counter(dl.reason for dl in outcome.dead_letters) == Counter(
        r for reasons in corpus.expected_lake_letters().values() for r in reasons
    )
