"""Pack EMF lines into CloudWatch Logs subscription envelopes, the way a subscription filter feeds Kinesis.

Each data envelope carries events of one log stream that arrived within `flush_ms` of the first one (the
collector's batch and CloudWatch's own buffering), capped by event count and size. Log event ids are 56-digit
strings unique per event, as CloudWatch writes them. Health-check `CONTROL_MESSAGE` envelopes are sent when
the filter is created and then every `control_every_ms`.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from consumers.config import LOG_GROUP
from consumers.generate.lines import EmfLine
from schemas.envelope import CONTROL_MESSAGE, DATA_MESSAGE, Envelope, LogEvent

CONTROL_TEXT = "CWL CONTROL MESSAGE: Checking health of destination Kinesis stream."
CONTROL_OWNER = "CloudwatchLogs"
_NEVER = 1 << 62


@dataclass(frozen=True)
class SubscriptionOptions:
    """How the subscription batches; names as in the deployed product."""

    owner: str = "123456789012"
    log_group: str = LOG_GROUP
    filter_name: str = "claude-code-metrics-to-kinesis"
    flush_ms: int = 60_000
    max_events: int = 500
    max_message_bytes: int = 512 * 1024
    control_every_ms: int = 3_600_000
    delivery_delay_ms: tuple[int, int] = (400, 2_500)
    seed: int = 0


@dataclass(frozen=True)
class PackedRecord:
    """One subscription delivery: the envelope, when it reached Kinesis and its partition key."""

    envelope: Envelope
    arrival_ms: int
    partition_key: str


@dataclass
class _Buffer:
    stream: str
    first_ms: int
    events: list[LogEvent] = field(default_factory=list)
    message_bytes: int = 0


class _EventIds:
    """56-digit log event ids: '3' + 13-digit timestamp + 2-digit stream + 12-digit counter + 28 random digits.

    The counter makes every id unique; the timestamp prefix makes ids of later events larger, as in CloudWatch.
    """

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"event-ids:{seed}")
        self._count = 0
        self._streams: dict[str, int] = {}

    def next(self, stream: str, timestamp_ms: int) -> str:
        stream_no = self._streams.get(stream)
        if stream_no is None:
            stream_no = self._streams[stream] = len(self._streams) % 100
        self._count += 1
        noise = self._rng.getrandbits(93)  # < 10**28
        return f"3{timestamp_ms % 10**13:013d}{stream_no:02d}{self._count % 10**12:012d}{noise:028d}"


def pack(lines: Iterable[EmfLine], options: SubscriptionOptions | None = None) -> Iterator[PackedRecord]:
    """Lines in timestamp order → subscription deliveries in arrival order (control messages included)."""
    opts = options or SubscriptionOptions()
    rng = random.Random(f"subscription:{opts.seed}")
    ids = _EventIds(opts.seed)
    buffers: dict[str, _Buffer] = {}
    last_arrival = 0
    next_control: int | None = None
    next_due = _NEVER  # earliest time a buffer must be flushed

    def deliver(env: Envelope, due_ms: int) -> PackedRecord:
        nonlocal last_arrival
        last_arrival = max(last_arrival, due_ms + rng.randint(*opts.delivery_delay_ms))
        return PackedRecord(env, last_arrival, f"{rng.getrandbits(128):032x}")

    def flush(buf: _Buffer, due_ms: int) -> PackedRecord:
        del buffers[buf.stream]
        env = Envelope(
            message_type=DATA_MESSAGE,
            owner=opts.owner,
            log_group=opts.log_group,
            log_stream=buf.stream,
            subscription_filters=[opts.filter_name],
            log_events=buf.events,
        )
        return deliver(env, due_ms)

    for line in lines:
        now = line.timestamp_ms
        if next_control is None:
            next_control = now - 1_000
        while next_control <= now:
            yield deliver(control_envelope(next_control), next_control)
            next_control += opts.control_every_ms
        if now >= next_due:
            for pending in sorted(buffers.values(), key=lambda b: b.first_ms):
                if now >= pending.first_ms + opts.flush_ms:
                    yield flush(pending, pending.first_ms + opts.flush_ms)
            next_due = min((b.first_ms + opts.flush_ms for b in buffers.values()), default=_NEVER)
        size = len(line.line)
        buf: _Buffer | None = buffers.get(line.log_stream)
        if buf and (len(buf.events) >= opts.max_events or buf.message_bytes + size > opts.max_message_bytes):
            yield flush(buf, now)
            buf = None
        if buf is None:
            buf = buffers[line.log_stream] = _Buffer(line.log_stream, now)
            next_due = min(next_due, now + opts.flush_ms)
        buf.events.append(LogEvent(ids.next(line.log_stream, now), now, line.line))
        buf.message_bytes += size
    for buf in sorted(buffers.values(), key=lambda b: b.first_ms):
        yield flush(buf, buf.first_ms + opts.flush_ms)


def control_envelope(timestamp_ms: int) -> Envelope:
    """The health check CloudWatch Logs sends to a new (and periodically to every) Kinesis destination."""
    return Envelope(
        message_type=CONTROL_MESSAGE,
        owner=CONTROL_OWNER,
        log_group="",
        log_stream="",
        subscription_filters=[],
        log_events=[LogEvent("", timestamp_ms, CONTROL_TEXT)],
    )
