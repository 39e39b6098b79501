"""The real collector's output (tests/fixtures/collector.*, written by the real awsemf) decodes without a single
dead letter, and the fast path agrees with the generic one on every line."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from consumers.decode.lines import read_fast, read_generic
from consumers.decode.records import decode_record, read_lines
from consumers.model import SourceRecord
from schemas.emf import parse_line

FIXTURES = Path(__file__).parents[1] / "fixtures"
EMF = FIXTURES / "collector.emf.ndjson"
KINESIS = FIXTURES / "collector.kinesis.jsonl"


@pytest.mark.skipif(not EMF.exists(), reason="no real collector output yet")
def test_every_real_line_decodes_fast_and_equal() -> None:
    lines = [ln for ln in EMF.read_text().splitlines() if ln.strip()]
    assert lines
    for i, line in enumerate(lines):
        doc = json.loads(line)
        expected = sorted((k, float(v)) for k, v in doc.items() if k.startswith("claude_code."))
        points, rejected = parse_line(line)
        assert not rejected, line
        assert sorted((p.metric, p.value) for p in points) == expected
        fast = read_fast(i, line)
        assert fast is not None, line
        generic, _ = read_generic(i, line)
        assert generic is not None and sorted(generic.values) == sorted(fast.values) == expected
        assert generic.signature == fast.signature and generic.user == fast.user


@pytest.mark.skipif(not KINESIS.exists(), reason="no real collector output yet")
def test_real_records_give_no_dead_letters() -> None:
    total = 0
    for n, row in enumerate(KINESIS.read_text().splitlines()):
        r = json.loads(row)
        rec = SourceRecord("shardId-000000000000", n + 1, 0, r.get("PartitionKey", ""), base64.b64decode(r["Data"]), 0)
        d = decode_record(rec)
        assert d.kind in ("data", "control")
        lines, letters = read_lines(rec, d)
        assert not letters, letters[:1]
        total += sum(len(line.values) for line in lines)
    assert total > 0
