"""The malformed corpus `tests/fixtures/bad.kinesis.jsonl`: one captured record per failure mode.

Each record's PartitionKey names its case; `tests/fixtures/README.md` lists the outcome each must get, and
`tests/fixtures/bad.expected.json` holds the expected counts, written by hand from the list below.
"""

from __future__ import annotations

import base64
import gzip
from collections.abc import Iterator

import msgspec

from consumers.generate.capture import CapturedRecord, iso_utc
from consumers.generate.emf_writer import EmfWriter
from consumers.generate.subscription import control_envelope
from schemas import catalogue as cat
from schemas.envelope import DATA_MESSAGE, Envelope, LogEvent, encode_envelope

#: 2026-11-20T23:00:00Z
BASE_MS = 1_795_215_600_000
STREAM = "otel-stream-0badc0ffee0badc0ffee0badc0ffee00"

LABELS = {
    "cost_center": "CC-1001",
    "department": "engineering",
    "host.arch": "arm64",
    "organization": "okta",
    "organization.id": "4f6d2c1e-8a3b-4c7d-9e5f-0a1b2c3d4e5f",
    "os.type": "darwin",
    "service.name": "claude-code",
    "service.version": "2.0.55",
    "session.id": "0bad5e55-1000-4000-8000-000000000001",
    "team.id": "payments-api",
    "terminal.type": "vscode",
    "user.email": "jane.doe@example.com",
    "user.id": "5e3b2c1a-9f8d-4a7b-b6c5-d4e3f2a1b0c9",
}
_MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"


def good_line(offset_s: int, values: dict[str, float | int], **extra: str) -> str:
    """A well-formed EMF line `offset_s` seconds after BASE_MS."""
    return EmfWriter().line(BASE_MS + offset_s * 1000, {**LABELS, **extra}, values)


def _tokens(offset_s: int, value: object) -> str:
    """A token.usage line whose value text is replaced by `value` written verbatim."""
    line = good_line(offset_s, {cat.TOKEN_USAGE: 1523}, model=_MODEL, type="input")
    return line.replace(f'"{cat.TOKEN_USAGE}":1523', f'"{cat.TOKEN_USAGE}":{value}')


def _without_timestamp(offset_s: int) -> str:
    line = good_line(offset_s, {cat.COMMITS: 1})
    return line.replace(f',"Timestamp":{BASE_MS + offset_s * 1000}', "")


def _data(*messages: str, start_s: int = 0) -> bytes:
    events = [
        LogEvent(f"{39_000_000_000_000 + i:056d}", BASE_MS + (start_s + i) * 1000, m) for i, m in enumerate(messages)
    ]
    env = Envelope(
        message_type=DATA_MESSAGE,
        owner="123456789012",
        log_group="/aws/claude-code/metrics",
        log_stream=STREAM,
        subscription_filters=["claude-code-metrics-to-kinesis"],
        log_events=events,
    )
    return encode_envelope(env)


def _gz(raw: bytes) -> bytes:
    return gzip.compress(raw, mtime=0)


def cases() -> list[tuple[str, bytes]]:
    """(PartitionKey, Data) of every case, in file order."""
    missing = good_line(60, {cat.COMMITS: 1, cat.SESSION_COUNT: 1}).replace(f',"{cat.COMMITS}":1', "")
    missing = missing.replace(f'"{cat.SESSION_COUNT}":1', f'"{cat.SESSION_COUNT}":null')
    unknown = good_line(70, {"claude_code.future.metric": 3})
    oversized = good_line(80, {cat.COMMITS: 1}, note="x" * (1 << 20))
    return [
        ("01-bad-gzip", b"this is not gzip at all"),
        ("02-gzip-not-json", _gz(b"CWL? this is not JSON {")),
        ("03-json-not-envelope", _gz(b'{"hello":"world"}')),
        ("04-unknown-message-type", _gz(b'{"messageType":"SOMETHING_ELSE","logEvents":[]}')),
        ("05-event-missing-message", _gz(b'{"messageType":"DATA_MESSAGE","logEvents":[{"id":"1","timestamp":1}]}')),
        ("06-control-message", encode_envelope(control_envelope(BASE_MS))),
        ("07-event-not-json", _data("collector started, exporting to awsemf")),
        ("08-event-json-not-emf", _data('{"level":"info","msg":"exporter started"}', '{"_aws":"not an object"}')),
        ("09-event-json-array", _data("[1,2,3]")),
        ("10-no-timestamp", _data(_without_timestamp(10))),
        ("11-timestamp-is-string", _data(good_line(11, {cat.COMMITS: 1}).replace(
            f'"Timestamp":{BASE_MS + 11_000}', f'"Timestamp":"{BASE_MS + 11_000}"'))),
        ("12-value-is-string", _data(_tokens(12, '"1523"'))),
        ("13-value-is-nan-string", _data(_tokens(13, '"NaN"'), _tokens(14, '"Infinity"'))),
        ("14-value-is-bool", _data(_tokens(15, "true"))),
        ("15-value-nan-literal", _data(_tokens(16, "NaN"))),
        ("16-value-overflows-double", _data(_tokens(17, "1e999"))),
        ("17-value-negative", _data(good_line(18, {cat.LINES_OF_CODE: -5}, type="added"))),
        ("18-value-out-of-range", _data(_tokens(19, "1e16"))),
        ("19-value-missing", _data(missing)),
        ("20-unknown-metric-kept", _data(unknown)),
        ("21-oversized-line", _data(oversized)),
        ("22-empty-data-message", _data()),
        ("23-mixed-good-and-bad", _data(
            good_line(90, {cat.TOKEN_USAGE: 2048}, model=_MODEL, type="cacheRead"),
            "not json at all",
            good_line(91, {cat.COMMITS: 1, cat.PULL_REQUESTS: 1}),
            _without_timestamp(92),
            good_line(93, {cat.ACTIVE_TIME: 12.5, cat.SESSION_COUNT: 1}, type="cli").replace(
                f'"{cat.SESSION_COUNT}":1', f'"{cat.SESSION_COUNT}":-1'),
            start_s=90,
        )),
    ]  # fmt: skip


def records() -> Iterator[CapturedRecord]:
    """The corpus as captured records (sequence numbers increase; one shard)."""
    for number, (key, data) in enumerate(cases(), 1):
        yield CapturedRecord(
            sequence_number=f"49{BASE_MS:015d}000{number:036d}",
            approximate_arrival_timestamp=iso_utc(BASE_MS + number * 1000),
            data=base64.b64encode(data).decode(),
            partition_key=key,
        )


def write(out: msgspec.json.Encoder | None = None) -> bytes:
    """The whole file."""
    enc = out or msgspec.json.Encoder()
    return b"".join(enc.encode(r) + b"\n" for r in records())
