"""Hypothesis-generated garbage never crashes the decoder or the shard pipeline; every bad record is counted with
a reason (record-level dead letter) or decodes to a data/control record."""

from __future__ import annotations

import gzip
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consumers.config import Tunables
from consumers.decode.records import decode_record, read_lines
from consumers.model import SourceRecord
from consumers.pipeline import ShardPipeline
from consumers.sink.memory import MemoryStores

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
emf_like = st.fixed_dictionaries(
    {"_aws": st.fixed_dictionaries({"Timestamp": json_values, "CloudWatchMetrics": json_values})},
    optional={"claude_code.token.usage": json_values, "user.id": json_values, "model": json_values},
)
messages = st.one_of(st.text(max_size=60), json_values.map(json.dumps), emf_like.map(json.dumps))
envelopes = st.fixed_dictionaries(
    {
        "messageType": st.sampled_from(["DATA_MESSAGE", "CONTROL_MESSAGE", "OTHER"]),
        "logEvents": st.lists(
            st.fixed_dictionaries(
                {"id": st.integers(0, 10**6), "timestamp": st.integers(0, 2**45), "message": messages}
            ),
            max_size=4,
        ),
    }
)
payloads = st.one_of(
    st.binary(max_size=200),
    st.binary(max_size=200).map(gzip.compress),
    json_values.map(lambda v: gzip.compress(json.dumps(v).encode())),
    envelopes.map(lambda e: gzip.compress(json.dumps(e).encode())),
)


def _rec(i: int, data: bytes) -> SourceRecord:
    return SourceRecord("shardId-000000000000", i + 1, 0, "pk", data, 1_795_000_000_000)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payloads)
def test_decoder_classifies_any_bytes(data: bytes) -> None:
    rec = _rec(0, data)
    d = decode_record(rec)
    assert d.kind in ("data", "control", "bad")
    if d.kind == "bad":
        assert len(d.dead_letters) == 1 and d.dead_letters[0].reason in ("bad_gzip", "bad_json", "bad_envelope")
    letters = list(d.dead_letters)
    if d.kind == "data":
        lines, line_letters = read_lines(rec, d)
        letters += line_letters
        assert all(line.values for line in lines)
        assert {line.index for line in lines} | {dl.index for dl in line_letters} <= set(range(d.event_count))
    for dl in letters:
        assert dl.reason and dl.payload is not None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(payloads, min_size=1, max_size=8))
def test_pipeline_never_crashes_and_always_checkpoints(batch: list[bytes]) -> None:
    stores = MemoryStores()
    p = ShardPipeline("app", "shardId-000000000000", stores.stores(), Tunables(), clock_ms=lambda: 0)
    p.process([_rec(i, data) for i, data in enumerate(batch)])
    snap = p.flush(force=True)
    assert snap is not None and snap.position == (len(batch), 0)  # the shard moves on past every record
    assert p.counters.values["records"] == len(batch)
    assert sum(v for k, v in p.counters.values.items() if k.startswith("dead_letters.")) == len(stores.letters)
