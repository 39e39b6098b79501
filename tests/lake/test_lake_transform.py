"""One subscription record → one row per data point, with dead letters for what cannot be used."""

from __future__ import annotations

import base64
import gzip

from consumers.lake.transform import event_key, transform_record
from schemas.envelope import LogEvent
from tests.lake.envelopes import T0, control_record, emf, record

ALICE = {
    "user.email": "alice@example.com",
    "user.id": "id-alice",
    "session.id": "s1",
    "department": "eng",
    "team.id": "platform",
    "custom.tag": "blue",
}
ANON = {"user.id": "id-anon", "session.id": "s2"}


def test_every_data_point_becomes_a_row_with_its_attribute_columns() -> None:
    data = record(
        [
            (
                7,
                T0,
                emf(
                    T0,
                    ALICE | {"model": "claude-x", "type": "input"},
                    {"claude_code.token.usage": 1523},
                    {"claude_code.token.usage": "tokens"},
                ),
            ),
            (8, T0 + 1000, emf(T0 + 1000, ANON, {"claude_code.commit.count": 1, "claude_code.pull_request.count": 2})),
            (9, T0 + 2000, emf(T0 + 2000, ANON | {"type": "added"}, {"claude_code.lines_of_code.count": [3, 4]})),
        ]
    )
    out = transform_record(data, source="shard/1")
    assert out.kind == "data" and out.dead_letters == []
    assert len(out.rows) == 1 + 2 + 2

    tok = out.rows[0]
    assert tok["timestamp"] == T0 and tok["metric"] == "claude_code.token.usage"
    assert tok["value"] == 1523.0 and tok["token_usage"] == 1523.0 and tok["unit"] == "tokens"
    assert tok["user_email"] == "alice@example.com" and tok["user_id"] == "id-alice"
    assert tok["user_key"] == "alice@example.com"
    assert tok["department"] == "eng" and tok["team_id"] == "platform" and tok["model"] == "claude-x"
    assert tok["otel_lib"] == "com.anthropic.claude_code"
    assert tok["attributes"] == {"custom.tag": "blue"}
    assert tok["log_event_id"] == "7" and tok["point_index"] == 0

    commit, pr = out.rows[1], out.rows[2]
    assert (commit["metric"], commit["value"], commit["point_index"]) == ("claude_code.commit.count", 1.0, 0)
    assert (pr["metric"], pr["value"], pr["point_index"]) == ("claude_code.pull_request.count", 2.0, 1)
    assert commit["event_key"] == pr["event_key"]  # same log event, distinct data points
    assert commit["token_usage"] is None  # only token usage fills token_usage
    assert commit["user_key"] == "id-anon" and commit.get("user_email") is None  # no email: fall back to user.id

    lines = out.rows[3:]
    assert [r["value"] for r in lines] == [3.0, 4.0] and [r["point_index"] for r in lines] == [0, 1]
    assert lines[0]["type"] == "added"


def test_bad_events_become_dead_letters_and_spoil_nothing_else() -> None:
    data = record(
        [
            (1, T0, "not json at all"),
            (2, T0, emf(T0, ANON, {"claude_code.commit.count": -1, "claude_code.pull_request.count": 1})),
            (3, T0, '{"no": "aws metadata"}'),
        ]
    )
    out = transform_record(data, source="shard/9")
    assert [(r["metric"], r["value"]) for r in out.rows] == [("claude_code.pull_request.count", 1.0)]
    reasons = {(d.log_event_id, d.reason) for d in out.dead_letters}
    assert reasons == {("1", "bad_json"), ("2", "negative_value"), ("3", "not_emf")}
    assert all(d.source == "shard/9" for d in out.dead_letters)
    assert next(d for d in out.dead_letters if d.log_event_id == "2").metric == "claude_code.commit.count"


def test_control_messages_give_nothing_and_bad_records_give_a_reason() -> None:
    control = transform_record(control_record(), source="x")
    assert control.kind == "control" and control.rows == [] and control.dead_letters == []

    junk = b"\x1f\x8b not really gzip"
    bad = transform_record(junk, source="shard/3")
    assert bad.kind == "bad" and bad.rows == []
    (letter,) = bad.dead_letters
    assert letter.reason == "bad_gzip" and base64.b64decode(letter.payload) == junk


def test_event_key_is_stable_for_redeliveries_and_distinct_for_reused_ids() -> None:
    msg = emf(T0, ANON, {"claude_code.commit.count": 1})
    a = event_key("/g", "stream-a", LogEvent(id=5, timestamp=T0, message=msg))
    assert a == event_key("/g", "stream-a", LogEvent(id="5", timestamp=T0, message=msg))
    # moto restarts its id counter: the same id on another stream, time or message is another event
    assert a != event_key("/g", "stream-b", LogEvent(id=5, timestamp=T0, message=msg))
    assert a != event_key("/g", "stream-a", LogEvent(id=5, timestamp=T0 + 1, message=msg))
    assert a != event_key("/g", "stream-a", LogEvent(id=5, timestamp=T0, message=msg + " "))
    rows1 = transform_record(record([(5, T0, msg)]), "s").rows
    rows2 = transform_record(record([(5, T0, msg)]), "another delivery").rows
    assert rows1 == rows2


def test_an_already_decompressed_envelope_gives_the_same_rows() -> None:
    data = record([(1, T0, emf(T0, ANON, {"claude_code.commit.count": 2}))])
    plain = gzip.decompress(data)
    assert transform_record(plain, "a").rows == transform_record(data, "a").rows
    assert transform_record(b'{"messageType": "OTHER"}', "b").dead_letters[0].reason == "bad_envelope"
    assert transform_record(b"plain text", "c").dead_letters[0].reason == "bad_gzip"
