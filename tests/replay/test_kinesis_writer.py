"""PutRecords batching and retries, against a fake client that throttles some entries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from consumers.replay.errors import ReplayError
from consumers.replay.kinesis import RetryPolicy, put_records


@dataclass
class FlakyKinesis:
    """Fails the entries whose partition key is in `fail_times` that many times, then accepts them."""

    fail_times: dict[str, int] = field(default_factory=dict)
    calls: list[list[dict[str, Any]]] = field(default_factory=list)
    stored: list[tuple[bytes, str]] = field(default_factory=list)

    def put_records(self, StreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls.append(Records)
        results = []
        for rec in Records:
            key = rec["PartitionKey"]
            if self.fail_times.get(key, 0) > 0:
                self.fail_times[key] -= 1
                results.append({"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "slow down"})
            else:
                self.stored.append((rec["Data"], key))
                results.append({"SequenceNumber": str(len(self.stored)), "ShardId": "shardId-000000000000"})
        failed = sum("ErrorCode" in r for r in results)
        return {"FailedRecordCount": failed, "Records": results}


def _records(n: int, size: int = 10) -> list[tuple[bytes, str]]:
    return [(bytes([i % 256]) * size, f"key-{i}") for i in range(n)]


def test_batches_hold_at_most_500_records() -> None:
    client = FlakyKinesis()
    stats = put_records(client, "s", _records(1_201))
    assert [len(c) for c in client.calls] == [500, 500, 201]
    assert stats.records_sent == 1_201
    assert client.stored == _records(1_201)


def test_batches_hold_at_most_5_mib() -> None:
    client = FlakyKinesis()
    # 600,000-byte records (+ 5-byte keys): 8 fit in 5,242,880 bytes, the 9th does not.
    put_records(client, "s", _records(20, size=600_000))
    assert [len(c) for c in client.calls] == [8, 8, 4]


def test_failed_entries_are_retried_alone_with_growing_backoff() -> None:
    client = FlakyKinesis(fail_times={"key-3": 2, "key-7": 1})
    sleeps: list[float] = []
    policy = RetryPolicy(base_delay_s=0.1, max_delay_s=5.0)
    stats = put_records(client, "s", _records(10), retry=policy, sleep_s=sleeps.append)
    assert [[r["PartitionKey"] for r in c] for c in client.calls][1:] == [["key-3", "key-7"], ["key-3"]]
    assert sorted(client.stored) == sorted(_records(10))
    assert {k for _, k in client.stored} == {f"key-{i}" for i in range(10)}
    assert stats.retried_entries == 3
    assert len(sleeps) == 2
    assert 0.05 <= sleeps[0] <= 0.1 and 0.1 <= sleeps[1] <= 0.2


def test_data_and_partition_keys_are_sent_unchanged() -> None:
    client = FlakyKinesis()
    records = [(b"\x1f\x8b\x00binary\xff", "0123456789abcdef0123456789abcdef"), (b"", "k")]
    put_records(client, "s", records)
    assert client.stored == records


def test_gives_up_with_a_clear_error() -> None:
    client = FlakyKinesis(fail_times={"key-0": 100})
    with pytest.raises(ReplayError, match=r"1 records still failed after 3 PutRecords attempts"):
        put_records(client, "s", _records(2), retry=RetryPolicy(max_attempts=3), sleep_s=lambda _s: None)


def test_a_record_over_1_mib_is_refused() -> None:
    with pytest.raises(ReplayError, match="1 MiB"):
        put_records(FlakyKinesis(), "s", [(b"x" * (1024 * 1024), "k")])
