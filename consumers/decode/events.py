"""Decode the events log group's lines (the CloudWatch Logs exporter's JSON, `schemas/events.py`) into `Event`s.

Reads only the names `schemas/events.py` declares: content (prompts, responses, tool inputs, raw bodies) is never
read, so it can never be stored. Tolerates what the real CLI sends: numbers as strings (`"67"`), integral doubles,
bools as `true` or `"true"`, a missing `event.name` (taken from the body). Never raises for input: a line that
cannot be used is one dead letter with a reason; a value that cannot be used drops that value (one `bad_value`
letter per line, `line_counted`) and the event still counts.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from typing import Any

import msgspec

from consumers.decode.limits import DecodeLimits
from consumers.decode.records import DecodedRecord, cap_payload
from consumers.model import DeadLetter, SourceRecord, letter_of
from schemas import events as ev
from schemas.envelope import LogEvent

#: The exporter appends this to a log event it cut at CloudWatch's 256 KiB limit (the JSON is then broken).
TRUNCATED_SUFFIX = "[Truncated...]"


class Exported(msgspec.Struct, gc=False):
    """One exporter line; every other key (severity, trace ids, scope) is ignored."""

    body: Any = None
    attributes: dict[str, Any] = msgspec.field(default_factory=dict)
    resource: dict[str, Any] = msgspec.field(default_factory=dict)


_decoder = msgspec.json.Decoder(Exported)


class Event(msgspec.Struct, frozen=True, gc=False):
    """The metadata of one Claude Code event."""

    index: int  # position of its log event in the record
    log_event_id: str
    timestamp_ms: int  # the log event time (the OTLP record's time)
    name: str  # without the `claude_code.` prefix
    sequence: int | None
    identity: dict[str, str]
    labels: dict[str, str]
    numbers: dict[str, int]
    flags: dict[str, bool]

    @property
    def user(self) -> str:
        """`user.email`, else `user.id` (the person, as the metrics' user grouping)."""
        return self.identity.get(ev.USER_EMAIL) or self.identity.get(ev.USER_ID, "")

    def dimension(self, name: str) -> str:
        """The value of a grouping attribute as text ("" when the event lacks it)."""
        if name == ev.USER:
            return self.user
        if name in self.labels:
            return self.labels[name]
        if name in self.identity:
            return self.identity[name]
        if name in self.numbers:
            return str(self.numbers[name])
        if name in self.flags:
            return "true" if self.flags[name] else "false"
        return ""


_TEXT_IDENTITY, _TEXT_LABEL, _NUMBER, _FLAG, _NAME = range(5)
_KIND: dict[str, int] = {
    **dict.fromkeys(ev.IDENTITY, _TEXT_IDENTITY),
    **dict.fromkeys(ev.LABELS, _TEXT_LABEL),
    **dict.fromkeys(ev.NUMBERS, _NUMBER),
    **dict.fromkeys(ev.FLAGS, _FLAG),
    ev.EVENT_NAME: _NAME,
}
_KIND_WITH_LENGTHS = {**_KIND, **dict.fromkeys(ev.LENGTHS, _NUMBER)}


class BadValue(Exception):
    """A kept attribute whose value is not usable (not a number, negative, too large)."""


def to_int(value: Any) -> int:
    """An integer from an int, an integral-or-not finite double (rounded half to even), or a numeric string."""
    if isinstance(value, bool):
        raise BadValue(f"bool {value}")
    if isinstance(value, int):
        n = value
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise BadValue(repr(value))
        n = round(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            n = int(text)
        except ValueError:
            try:
                f = float(text)
            except ValueError:
                raise BadValue(repr(value[:40])) from None
            if not math.isfinite(f):
                raise BadValue(repr(value[:40])) from None
            n = round(f)
    else:
        raise BadValue(type(value).__name__)
    if n < 0 or n > ev.MAX_NUMBER:
        raise BadValue(str(n))
    return n


def to_flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise BadValue(repr(value)[:40])


def to_text(value: Any, max_chars: int) -> str | None:
    if isinstance(value, str):
        return value[:max_chars]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return None  # arrays and maps are never a label


def read_event(
    index: int, log_event: LogEvent, limits: DecodeLimits, keep_lengths: bool = False
) -> tuple[Event | None, str, str]:
    """(event or None, dead-letter reason or "", detail) for one log event of the events log group."""
    msg = log_event.message
    line = limits.line
    if len(msg) > line.max_line_bytes:
        return None, "oversized_line", f"{len(msg)} characters"
    if msg.endswith(TRUNCATED_SUFFIX):
        return None, "truncated_event", "cut by the exporter at CloudWatch's event size limit"
    try:
        doc = _decoder.decode(msg)
    except msgspec.DecodeError as exc:
        return None, "bad_json", str(exc)[:200]
    body = doc.body
    if not isinstance(body, str) or not body.startswith(ev.BODY_PREFIX):
        return None, "not_claude_event", f"body {str(body)[:80]!r}"
    ts = log_event.timestamp
    if not isinstance(ts, int) or not line.min_timestamp_ms <= ts <= line.max_timestamp_ms:
        return None, "timestamp_out_of_range", f"log event time {ts}"
    attrs: Mapping[str, Any] = doc.attributes
    name = body[len(ev.BODY_PREFIX) :]
    cap = line.max_value_chars
    identity: dict[str, str] = {}
    labels: dict[str, str] = {}
    numbers: dict[str, int] = {}
    flags: dict[str, bool] = {}
    bad: list[str] = []
    wanted = _KIND_WITH_LENGTHS if keep_lengths else _KIND
    for k, value in attrs.items():  # one pass over what was sent; only declared names are read
        kind = wanted.get(k)
        if kind is None or value is None:
            continue
        if kind in (_TEXT_IDENTITY, _TEXT_LABEL):
            t = to_text(value, cap)
            if t:
                (identity if kind == _TEXT_IDENTITY else labels)[k] = t
        elif kind == _NUMBER:
            try:
                numbers[k] = to_int(value)
            except BadValue as exc:
                bad.append(f"{k}: {exc}")
        elif kind == _FLAG:
            try:
                flags[k] = to_flag(value)
            except BadValue as exc:
                bad.append(f"{k}: {exc}")
        elif kind == _NAME and isinstance(value, str) and value:
            name = value
    for k, value in doc.resource.items():  # identity and labels the attributes lack (the CLI copies them anyway)
        kind = _KIND.get(k)
        if (kind == _TEXT_IDENTITY and k not in identity) or (kind == _TEXT_LABEL and k not in labels):
            t = to_text(value, cap)
            if t:
                (identity if kind == _TEXT_IDENTITY else labels)[k] = t
    sequence = None
    if (raw_seq := attrs.get(ev.EVENT_SEQUENCE)) is not None:
        try:
            sequence = to_int(raw_seq)
        except BadValue as exc:
            bad.append(f"{ev.EVENT_SEQUENCE}: {exc}")
    event = Event(index, str(log_event.id), ts, name[:cap], sequence, identity, labels, numbers, flags)
    return event, ("bad_value" if bad else ""), "; ".join(bad)[:500]


def read_events(
    rec: SourceRecord, decoded: DecodedRecord, limits: DecodeLimits, keep_lengths: bool = False
) -> tuple[list[Event], list[DeadLetter]]:
    """Every usable event of a data record, and the dead letters (the record's own `events_limited` among them)."""
    events: list[Event] = []
    letters = list(decoded.dead_letters)
    for index, log_event in enumerate(decoded.events):
        event, reason, detail = read_event(index, log_event, limits, keep_lengths)
        if reason:
            letters.append(event_letter(rec, log_event, index, reason, detail, counted=event is not None))
        if event is not None:
            events.append(event)
    return events, letters


def event_letter(
    rec: SourceRecord, log_event: LogEvent, index: int, reason: str, detail: str, *, counted: bool = False
) -> DeadLetter:
    """A dead letter for one log event. Its payload is `redacted` (privacy holds for dead letters too)."""
    return letter_of(
        rec,
        reason,
        detail,
        index,
        log_event_id=str(log_event.id),
        event_timestamp_ms=log_event.timestamp if isinstance(log_event.timestamp, int) else None,
        line_counted=counted,
        **redacted(log_event.message),  # type: ignore[arg-type]
    )


def redacted(message: str) -> dict[str, object]:
    """Dead-letter payload fields of an events line: the line re-encoded with only the names ccstream reads (so no
    content whatever the client sent); a line that is not JSON keeps only its length and SHA-256."""
    try:
        doc = _decoder.decode(message)
    except msgspec.DecodeError:
        whole = message.encode("utf-8", "surrogatepass")
        return {
            "payload": "",
            "payload_truncated": True,
            "payload_chars": len(message),
            "payload_sha256": sha256(whole),
        }
    kept = (*ev.IDENTITY, *ev.LABELS, *ev.NUMBERS, *ev.FLAGS, ev.EVENT_NAME, ev.EVENT_SEQUENCE, ev.EVENT_TIMESTAMP)
    body = doc.body if isinstance(doc.body, str) else None
    attrs = {k: doc.attributes[k] for k in kept if k in doc.attributes}
    resource = {k: doc.resource[k] for k in kept if k in doc.resource}
    text = msgspec.json.encode({"body": body, "attributes": attrs, "resource": resource}).decode()
    return cap_payload(text)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
