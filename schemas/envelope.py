"""The CloudWatch Logs subscription envelope: what one Kinesis record carries (gzip of this JSON).

{"messageType": "DATA_MESSAGE", "owner": "...", "logGroup": "...", "logStream": "...",
 "subscriptionFilters": [...], "logEvents": [{"id": "...", "timestamp": 1755785100000, "message": "<EMF>"}]}

`CONTROL_MESSAGE` envelopes are health checks and carry no data. Real log event ids are ~56-digit strings; the
moto emulator sends small integers, so ids are normalised to `str`.
"""

from __future__ import annotations

import gzip
import zlib
from typing import Literal

import msgspec

DATA_MESSAGE = "DATA_MESSAGE"
CONTROL_MESSAGE = "CONTROL_MESSAGE"


class LogEvent(msgspec.Struct, frozen=True, gc=False):
    id: str | int
    timestamp: int
    message: str


class Envelope(msgspec.Struct, frozen=True, rename="camel"):
    message_type: str
    owner: str = ""
    log_group: str = ""
    log_stream: str = ""
    subscription_filters: list[str] = msgspec.field(default_factory=list)
    log_events: list[LogEvent] = msgspec.field(default_factory=list)

    @property
    def is_control(self) -> bool:
        return self.message_type == CONTROL_MESSAGE


_decoder = msgspec.json.Decoder(Envelope)
_encoder = msgspec.json.Encoder()

EnvelopeError = Literal["bad_gzip", "bad_json", "bad_envelope", "oversized_record"]

#: Largest decompressed record accepted. A subscription record carries at most ~1 MiB of log events, which their
#: JSON escaping can roughly double; 8 MiB leaves room and caps what a gzip bomb can make us allocate.
MAX_RECORD_BYTES = 8 << 20


class EnvelopeDecodeError(ValueError):
    def __init__(self, reason: EnvelopeError, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason: EnvelopeError = reason
        self.detail = detail


def gunzip(data: bytes, max_bytes: int = MAX_RECORD_BYTES) -> bytes:
    """Decompress a subscription record (one or more gzip members), never producing more than `max_bytes`.

    Raises EnvelopeDecodeError('bad_gzip') for anything that is not complete gzip, ('oversized_record') when the
    output would pass the cap: at most `max_bytes + 1` bytes are ever allocated, whatever the input."""
    out: list[bytes] = []
    size = 0
    rest = data
    try:
        while True:
            d = zlib.decompressobj(wbits=31)
            chunk = d.decompress(rest, max_bytes - size + 1)
            size += len(chunk)
            out.append(chunk)
            if size > max_bytes or d.unconsumed_tail:
                raise EnvelopeDecodeError("oversized_record", f"decompresses to more than {max_bytes} bytes")
            if not d.eof:
                raise EnvelopeDecodeError("bad_gzip", "compressed data ends early")
            rest = d.unused_data
            if not rest.strip(b"\x00"):
                return b"".join(out)
    except zlib.error as exc:
        raise EnvelopeDecodeError("bad_gzip", str(exc)) from exc


def decode_envelope(data: bytes, max_bytes: int = MAX_RECORD_BYTES) -> Envelope:
    """gzip'd bytes of one Kinesis record → Envelope. Raises EnvelopeDecodeError with a stable reason."""
    raw = gunzip(data, max_bytes)
    try:
        env = _decoder.decode(raw)
    except msgspec.ValidationError as exc:
        raise EnvelopeDecodeError("bad_envelope", str(exc)) from exc
    except msgspec.DecodeError as exc:
        raise EnvelopeDecodeError("bad_json", str(exc)) from exc
    if env.message_type not in (DATA_MESSAGE, CONTROL_MESSAGE):
        raise EnvelopeDecodeError("bad_envelope", f"unknown messageType {env.message_type!r}")
    return env


def encode_envelope(env: Envelope, *, mtime: int = 0) -> bytes:
    """Envelope → gzip'd JSON bytes, as CloudWatch Logs puts it into Kinesis (deterministic with mtime=0)."""
    return gzip.compress(_encoder.encode(env), mtime=mtime)
