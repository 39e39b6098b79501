"""Decoding the CloudWatch Logs exporter's lines: the real capture, the CLI's type quirks, and hostile input."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from consumers.decode.events import read_event, read_events, redacted
from consumers.decode.limits import DecodeLimits
from consumers.decode.records import decode_record
from consumers.model import SourceRecord
from schemas.envelope import LogEvent
from tests.events import oracle
from tests.events.generator import envelope

ROOT = Path(__file__).resolve().parents[2]
#: Real (tests/fixtures/events/README.md): what the real CLI sent (the collector's tap, logs requests only) and what
#: the real collector's CloudWatch Logs exporter wrote from it into the events log group.
CAPTURE = ROOT / "tests" / "fixtures" / "events" / "realcli.events.ndjson"
TAP = ROOT / "tests" / "fixtures" / "events" / "realcli.otlp-logs.jsonl"
LIMITS = DecodeLimits()


def _line(attrs: dict[str, object], name: str = "api_request") -> str:
    return oracle.exporter_line({"name": name, "attrs": {"event.name": name, **attrs}})


def _read(message: str, ts: int = 1_796_319_070_256, keep_lengths: bool = False):  # type: ignore[no-untyped-def]
    return read_event(0, LogEvent("1", ts, message), LIMITS, keep_lengths)


def test_every_real_line_decodes_and_matches_what_the_cli_sent() -> None:
    lines = [json.loads(x) for x in CAPTURE.read_text().splitlines()]
    sent = list(oracle.from_otlp(json.loads(x) for x in TAP.read_text().splitlines()))
    got = [_read(x["message"], x["timestamp"]) for x in lines]
    assert all(reason == "" for _, reason, _ in got)
    events = [e for e, _, _ in got if e is not None]
    assert Counter(e.name for e in events) == Counter(e["name"] for e in sent)
    # Every api_request's numbers are the CLI's, whatever type it sent them as.
    sent_api = sorted(
        (e["ts"], int(e["attrs"]["cost_usd_micros"]), int(e["attrs"]["duration_ms"]))
        for e in sent
        if e["name"] == "api_request"
    )
    got_api = sorted(
        (e.timestamp_ms, e.numbers["cost_usd_micros"], e.numbers["duration_ms"])
        for e in events
        if e.name == "api_request"
    )
    assert got_api == sent_api
    results = [e for e in events if e.name == "tool_result"]
    assert results and all("success" in e.flags and "duration_ms" in e.numbers for e in results)
    assert {e.flags["success"] for e in results} == {True, False}  # `exit 3` failed
    assert {e.labels["trigger"] for e in events if e.name == "compaction"} == {"manual"}


def test_the_collector_removed_content_before_cloudwatch_logs() -> None:
    """The CLI sent `prompt` (redacted by the CLI itself here, but a client may send text); the collector's
    attributes/events_privacy processor deleted it: no line of the log group has a content attribute."""
    assert '"key":"prompt"' in TAP.read_text()
    for line in CAPTURE.read_text().splitlines():
        doc = json.loads(json.loads(line)["message"])
        assert not set(doc["attributes"]) & {"prompt", "prompt_text", "response", "tool_input"}


@pytest.mark.parametrize(
    ("value", "want"), [(67, 67), ("67", 67), (67.0, 67), (" 67 ", 67), ("6.7e1", 67), (66.5, 66), (67.5, 68)]
)
def test_numbers_are_read_from_any_type_the_cli_sends(value: object, want: int) -> None:
    event, reason, _ = _read(_line({"duration_ms": value}))
    assert reason == "" and event is not None and event.numbers["duration_ms"] == want


@pytest.mark.parametrize("value", ["abc", -1, True, 10**16, "nan", [1], {"a": 1}])
def test_bad_numbers_drop_the_value_not_the_event(value: object) -> None:
    event, reason, detail = _read(_line({"duration_ms": value, "cost_usd_micros": 5}))
    assert reason == "bad_value" and "duration_ms" in detail
    assert event is not None and "duration_ms" not in event.numbers and event.numbers["cost_usd_micros"] == 5


@pytest.mark.parametrize(
    ("value", "want"), [(True, True), ("true", True), ("false", False), (False, False), (0, False)]
)
def test_success_flag_from_bools_and_strings(value: object, want: bool) -> None:
    event, reason, _ = _read(_line({"tool_name": "Edit", "success": value}, "tool_result"))
    assert reason == "" and event is not None and event.flags["success"] is want


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("not json", "bad_json"),
        ('{"body":"claude_code.api_request","attributes":{"a":1}', "bad_json"),
        ('{"body":"claude_code.api_request","attributes":{"prompt":"xx' + "[Truncated...]", "truncated_event"),
        ('{"body":"some other app","attributes":{}}', "not_claude_event"),
        ('{"body":{"nested":1},"attributes":{}}', "not_claude_event"),
        ('{"body":"claude_code.x","attributes":[1,2]}', "bad_json"),
        ("[]", "bad_json"),
    ],
)
def test_unusable_lines_are_dead_letters_with_a_reason(message: str, reason: str) -> None:
    event, got, _ = _read(message)
    assert event is None and got == reason


def test_time_outside_the_accepted_range_is_a_dead_letter() -> None:
    event, reason, _ = _read(_line({}), ts=0)
    assert event is None and reason == "timestamp_out_of_range"


def test_event_name_falls_back_to_the_body_and_identity_to_the_resource() -> None:
    msg = json.dumps({"body": "claude_code.user_prompt", "attributes": {"prompt": "x"}, "resource": {"team.id": "t"}})
    event, reason, _ = _read(msg)
    assert reason == "" and event is not None and event.name == "user_prompt" and event.identity["team.id"] == "t"


def test_lengths_only_with_the_switch_and_content_never() -> None:
    attrs = {"prompt": "SECRET", "prompt_length": "6", "tool_input": "SECRET", "tool_input_size_bytes": 9}
    off, _, _ = _read(_line(attrs, "user_prompt"))
    on, _, _ = _read(_line(attrs, "user_prompt"), keep_lengths=True)
    assert off is not None and on is not None
    assert "prompt_length" not in off.numbers and on.numbers["prompt_length"] == 6
    assert on.numbers["tool_input_size_bytes"] == 9
    assert "SECRET" not in repr(off) + repr(on)


def test_dead_letter_payloads_are_redacted() -> None:
    line = _line({"prompt": "SECRET", "duration_ms": "abc", "model": "m"})
    assert "SECRET" not in json.dumps(redacted(line)) and '"model":"m"' in redacted(line)["payload"]
    assert redacted("SECRET, not json")["payload"] == ""
    rec = SourceRecord("shardId-0", 1, 0, "pk", envelope("s", [(1, 1_796_319_070_256, line)]), 0)
    events, letters = read_events(rec, decode_record(rec), LIMITS)
    assert len(events) == 1 and [dl.reason for dl in letters] == ["bad_value"] and letters[0].line_counted
    assert "SECRET" not in letters[0].payload
