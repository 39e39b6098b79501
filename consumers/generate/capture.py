"""The `*.kinesis.jsonl` format: one Kinesis record per line, shaped as `aws kinesis get-records` prints it.

    {"SequenceNumber": "4960…", "ApproximateArrivalTimestamp": "2026-11-20T22:00:03.512000+00:00",
     "Data": "<base64 of the gzip'd subscription envelope>", "PartitionKey": "<32 hex>"}

Sequence numbers are 56 digits and grow per shard; the shard is chosen from the MD5 of the partition key over
`shards` equal hash ranges, as Kinesis does. Replay ignores sequence numbers and arrival times (Kinesis assigns
new ones) and keeps `Data` bytes and `PartitionKey` exactly.
"""

from __future__ import annotations

import base64
import hashlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime

import msgspec

from consumers.generate.subscription import PackedRecord
from schemas.envelope import encode_envelope


class CapturedRecord(msgspec.Struct, frozen=True, rename="pascal"):
    """One line of a `*.kinesis.jsonl` file."""

    sequence_number: str
    approximate_arrival_timestamp: str | float
    data: str
    partition_key: str

    def data_bytes(self) -> bytes:
        return base64.b64decode(self.data, validate=True)


_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(CapturedRecord).decode


def encode_captured(record: CapturedRecord) -> bytes:
    """One JSON line (no newline)."""
    return _encode(record)


def decode_captured(line: bytes | str) -> CapturedRecord:
    """Parse one line; raises msgspec.ValidationError / DecodeError when it is not a captured record."""
    return _decode(line)


def iso_utc(timestamp_ms: int) -> str:
    """`2026-11-20T22:00:03.512000+00:00`, the AWS CLI v2 rendering of a timestamp."""
    return datetime.fromtimestamp(timestamp_ms / 1000, UTC).isoformat(timespec="microseconds")


def shard_of(partition_key: str, shards: int) -> int:
    """Index of the shard whose equal hash-key range holds MD5(partition key)."""
    return int.from_bytes(hashlib.md5(partition_key.encode()).digest(), "big") * shards >> 128


def capture(records: Iterable[PackedRecord], shards: int = 2, workers: int = 2) -> Iterator[CapturedRecord]:
    """Subscription deliveries → the records a `get-records` capture of every shard would show.

    gzip runs on `workers` threads (zlib releases the GIL) while the caller keeps simulating; order is kept.
    """
    counters = [0] * shards
    for rec, data in _ordered_map(_encode_data, records, workers):
        shard = shard_of(rec.partition_key, shards)
        counters[shard] += 1
        seq = f"49{rec.arrival_ms % 10**15:015d}{shard:03d}{counters[shard]:036d}"
        yield CapturedRecord(
            sequence_number=seq,
            approximate_arrival_timestamp=iso_utc(rec.arrival_ms),
            data=data,
            partition_key=rec.partition_key,
        )


def _encode_data(rec: PackedRecord) -> str:
    return base64.b64encode(encode_envelope(rec.envelope)).decode()


def _ordered_map(
    fn: Callable[[PackedRecord], str], items: Iterable[PackedRecord], workers: int
) -> Iterator[tuple[PackedRecord, str]]:
    """`(item, fn(item))` in input order, computing up to `4 * workers` results ahead on a thread pool."""
    if workers <= 1:
        for item in items:
            yield item, fn(item)
        return
    window = 4 * workers
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ccstream-gzip") as pool:
        pending: deque[tuple[PackedRecord, Future[str]]] = deque()
        for item in items:
            pending.append((item, pool.submit(fn, item)))
            if len(pending) >= window:
                head, future = pending.popleft()
                yield head, future.result()
        while pending:
            head, future = pending.popleft()
            yield head, future.result()
