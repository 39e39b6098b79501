"""Hypothesis mutates the JSON *structure and types* of real-shaped awsemf lines and of the subscription envelope
around them (not only bytes): any node replaced by any JSON value, keys deleted or added, containers swapped. The
decoder raises nothing but its own `EmfError`; every log event is either decoded or dead-lettered with a reason; a
mutated envelope is a data record or one record-level dead letter; the lake transform and the Firehose Lambda never
raise; dead-letter keys always fit S3's 1,024 bytes."""

from __future__ import annotations

import base64
import copy
import gzip
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consumers.decode.records import decode_record, read_lines
from consumers.generate.badcorpus import good_line
from consumers.lake.firehose_lambda import transform_firehose_event
from consumers.lake.transform import transform_record
from consumers.model import SourceRecord
from consumers.sink.deadletter import batches
from schemas import catalogue as cat
from schemas.emf import EmfError, parse_line
from schemas.envelope import DATA_MESSAGE, Envelope, LogEvent, encode_envelope

BASE = [
    json.loads(good_line(1, {cat.TOKEN_USAGE: 1523, cat.COST_USAGE: 0.25}, model="claude-opus-5-5", type="input")),
    json.loads(good_line(2, {cat.COMMITS: 1})),
]
NO_AWS = {k: v for k, v in BASE[0].items() if k not in ("_aws", "Version")}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.sampled_from([1e25, 10**30, -1, 0, 1, 1_795_219_200_000, "1795219200000", "true", "[Truncated...]"])
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def mutate(draw: st.DrawFn, doc: Any, keys: list[str]) -> Any:
    """1-4 random mutations of `doc` in place (replace, delete, wrap, add one of `keys`); returns it."""
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        op = draw(st.sampled_from(["replace", "delete", "wrap", "add"]))
        if op == "replace":
            parent[path[-1]] = draw(json_values)
        elif op == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif op == "wrap":
            parent[path[-1]] = [parent[path[-1]]] if draw(st.booleans()) else {"Sum": parent[path[-1]]}
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(keys))] = draw(json_values)
    return doc


@st.composite
def mutated(draw: st.DrawFn) -> str:
    doc = copy.deepcopy(draw(st.sampled_from([*BASE, NO_AWS])))
    doc = mutate(draw, doc, ["claude_code.x", "model", "Version", "Timestamp", "CloudWatchMetrics"])
    text = json.dumps(doc, sort_keys=draw(st.booleans()))
    if draw(st.integers(0, 19)) == 0:
        text = text[: draw(st.integers(0, len(text)))] + draw(st.sampled_from(["", "[Truncated...]"]))
    return text


def _record(messages: list[str]) -> bytes:
    events = [LogEvent(str(i), 1_795_215_600_000 + i, m) for i, m in enumerate(messages)]
    env = Envelope(DATA_MESSAGE, "1", "/aws/claude-code/metrics", "otel-stream-x", ["f"], events)
    return encode_envelope(env)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_parse_line_raises_only_its_own_errors(line: str) -> None:
    try:
        points, rejected = parse_line(line, 1_795_215_600_000)
    except EmfError as exc:
        assert exc.reason
        return
    for p in points:
        assert 0 <= p.value <= 1e15 and isinstance(p.timestamp_ms, int)
    assert all(r.reason for r in rejected)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutated(), min_size=1, max_size=4))
def test_every_event_is_decoded_or_dead_lettered(messages: list[str]) -> None:
    rec = SourceRecord("shardId-000000000000", 7, 0, "pk", _record(messages), 0)
    d = decode_record(rec)
    assert d.kind == "data"
    lines, letters = read_lines(rec, d)
    decoded = {line.index for line in lines}
    lettered = {dl.index for dl in letters if not dl.line_counted}
    for i in range(len(messages)):
        assert (i in decoded) != (i in lettered), (i, messages[i])
    for key, body in batches(letters):
        assert len(key.encode()) <= 1024 and body
    out = transform_record(rec.data, source="s/7")
    assert {r["point_index"] for r in out.rows} >= set() and all(dl.reason for dl in out.dead_letters)
    event = {"invocationId": "i", "records": [{"recordId": "r", "data": base64.b64encode(rec.data).decode()}]}
    response = transform_firehose_event(event).response
    assert [r["recordId"] for r in response["records"]] == ["r"]


@st.composite
def mutated_envelope(draw: st.DrawFn) -> bytes:
    env = {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": "/aws/claude-code/metrics",
        "logStream": "otel-stream-x",
        "subscriptionFilters": ["f"],
        "logEvents": [
            {"id": str(i), "timestamp": 1_795_215_600_000 + i, "message": m} for i, m in enumerate(BASE_TEXT)
        ],
    }
    doc = mutate(draw, env, ["messageType", "logEvents", "id", "timestamp", "message", "extra"])
    return gzip.compress(json.dumps(doc).encode(), mtime=0)


BASE_TEXT = [json.dumps(d) for d in BASE]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_envelope())
def test_a_mutated_envelope_is_data_or_one_record_dead_letter(data: bytes) -> None:
    rec = SourceRecord("shardId-000000000000", 7, 0, "pk", data, 0)
    d = decode_record(rec)
    if d.kind == "bad":
        assert [dl.reason for dl in d.dead_letters] in (["bad_envelope"], ["bad_json"])
        assert d.dead_letters[0].payload
    else:
        lines, letters = read_lines(rec, d)
        decoded = {line.index for line in lines}
        lettered = {dl.index for dl in letters if not dl.line_counted}
        assert decoded.isdisjoint(lettered) and decoded | lettered == set(range(d.event_count))
    out = transform_record(data, source="s/7")
    assert (out.kind == "bad") == (d.kind == "bad")
