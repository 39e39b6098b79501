"""Send captured records to a Kinesis stream with PutRecords, keeping `Data` bytes and `PartitionKey` exactly.

Limits (AWS docs): at most 500 records and 5 MiB per call (data plus partition keys), one record at most 1 MiB.
PutRecords is not atomic: failed entries (throttling, internal errors) come back with an `ErrorCode` and are
resent alone, with exponential backoff and jitter, up to `max_attempts`. Resent records may land after later
ones, as with any Kinesis producer.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from consumers.replay.errors import ReplayError

MAX_RECORDS_PER_CALL = 500
MAX_BYTES_PER_CALL = 5 * 1024 * 1024
MAX_RECORD_BYTES = 1024 * 1024


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 10
    base_delay_s: float = 0.1
    max_delay_s: float = 5.0

    def delay_s(self, attempt: int, rng: random.Random) -> float:
        """Equal jitter: half the capped exponential delay plus a random part of the other half."""
        ceiling = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


@dataclass
class KinesisStats:
    calls: int = 0
    records_sent: int = 0
    bytes_sent: int = 0
    retried_entries: int = 0
    error_codes: Counter[str] = field(default_factory=Counter)

    def merge(self, other: KinesisStats) -> None:
        self.calls += other.calls
        self.records_sent += other.records_sent
        self.bytes_sent += other.bytes_sent
        self.retried_entries += other.retried_entries
        self.error_codes.update(other.error_codes)


def _entry_size(entry: dict[str, Any]) -> int:
    return len(entry["Data"]) + len(entry["PartitionKey"].encode())


class KinesisWriter:
    """PutRecords into one stream. Client passed in; `sleep_s` injectable for tests."""

    def __init__(
        self,
        kinesis_client: Any,
        stream: str,
        *,
        retry: RetryPolicy | None = None,
        sleep_s: Callable[[float], None] = time.sleep,
        on_call: Callable[[KinesisStats], None] | None = None,
    ) -> None:
        self.client = kinesis_client
        self.stream = stream
        self.retry = retry or RetryPolicy()
        self.stats = KinesisStats()
        self._sleep = sleep_s
        self._rng = random.Random(0)
        self._on_call = on_call
        self._batch: list[dict[str, Any]] = []
        self._batch_bytes = 0

    def add(self, data: bytes, partition_key: str) -> None:
        entry = {"Data": data, "PartitionKey": partition_key}
        size = _entry_size(entry)
        if size > MAX_RECORD_BYTES:
            raise ReplayError(f"a record of {size:,} bytes exceeds Kinesis' 1 MiB record limit")
        if len(self._batch) >= MAX_RECORDS_PER_CALL or self._batch_bytes + size > MAX_BYTES_PER_CALL:
            self.flush()
        self._batch.append(entry)
        self._batch_bytes += size

    def flush(self) -> None:
        if self._batch:
            self._put(self._batch)
        self._batch, self._batch_bytes = [], 0

    def _put(self, entries: list[dict[str, Any]]) -> None:
        pending = entries
        for attempt in range(1, self.retry.max_attempts + 1):
            response = self._call(pending)
            failed = [
                (entry, result.get("ErrorCode", ""))
                for entry, result in zip(pending, response["Records"], strict=True)
                if result.get("ErrorCode")
            ]
            done = len(pending) - len(failed)
            self.stats.records_sent += done
            self.stats.bytes_sent += sum(_entry_size(e) for e in pending) - sum(_entry_size(e) for e, _ in failed)
            if self._on_call:
                self._on_call(self.stats)
            if not failed:
                return
            self.stats.error_codes.update(code for _, code in failed)
            if attempt == self.retry.max_attempts:
                codes = ", ".join(f"{c} x{n}" for c, n in Counter(code for _, code in failed).items())
                raise ReplayError(
                    f"{len(failed)} records still failed after {attempt} PutRecords attempts ({codes}); "
                    "the stream is probably under-provisioned: add shards or replay more slowly"
                )
            self.stats.retried_entries += len(failed)
            pending = [entry for entry, _ in failed]
            self._sleep(self.retry.delay_s(attempt, self._rng))

    def _call(self, entries: list[dict[str, Any]]) -> dict[str, Any]:
        try:
            response: dict[str, Any] = self.client.put_records(StreamName=self.stream, Records=entries)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                raise ReplayError(
                    f"Kinesis stream {self.stream!r} does not exist; deploy first (`ccstream deploy`) or pass --stream"
                ) from exc
            raise
        self.stats.calls += 1
        return response


def put_records(
    kinesis_client: Any,
    stream: str,
    records: Iterable[tuple[bytes, str]],
    *,
    retry: RetryPolicy | None = None,
    sleep_s: Callable[[float], None] = time.sleep,
) -> KinesisStats:
    """PutRecords every `(data, partition_key)` into `stream`; returns the counts."""
    writer = KinesisWriter(kinesis_client, stream, retry=retry, sleep_s=sleep_s)
    for data, key in records:
        writer.add(data, key)
    writer.flush()
    return writer.stats
