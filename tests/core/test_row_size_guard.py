"""A row that would not fit one DynamoDB item is refused with the setting to raise, and warned about at half the
limit, instead of failing inside DynamoDB with an opaque ValidationException."""

from __future__ import annotations

import logging
import secrets

import pytest

from consumers.aggregates.partials import UserEntry, UserPartial, WindowPartial
from consumers.errors import RowTooLargeError
from consumers.sink.base import RowKey
from consumers.sink.rows import MAX_ROW_DATA_BYTES, row_item

SHARD = "shardId-000000000000"
START = 1_795_046_400_000


def users(n: int) -> UserPartial:
    # Random e-mails and session ids do not compress: the encoded size grows with n.
    return UserPartial(
        {f"{secrets.token_hex(12)}@example.com": UserEntry({"m": 1.0}, {secrets.token_hex(16)}) for _ in range(n)}
    )


def test_an_oversized_user_row_is_refused_with_the_setting_to_raise() -> None:
    with pytest.raises(RowTooLargeError, match="CCSTREAM_USER_BUCKETS") as exc:
        row_item(SHARD, RowKey("U", "1d", START, 3), (1, 0), users(12_000).to_doc(), 0)
    assert f"{MAX_ROW_DATA_BYTES:,}" in str(exc.value) and "bucket 3" in str(exc.value)


def test_an_oversized_window_row_names_its_window_size() -> None:
    sigs = {secrets.token_hex(40): {"m": 1.0} for _ in range(8_000)}
    with pytest.raises(RowTooLargeError, match=r"CCSTREAM_WINDOW_BUCKETS \(1h="):
        row_item(SHARD, RowKey("W", "1h", START, 0), (1, 0), WindowPartial(sigs, 8_000).to_doc(), 0)


def test_half_the_limit_warns_and_small_rows_pass_silently(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    item = row_item(SHARD, RowKey("U", "1m", START, 0), (1, 0), users(100).to_doc(), 0)
    assert item["data"] and not caplog.records
    row_item(SHARD, RowKey("U", "1m", START, 0), (1, 0), users(6_000).to_doc(), 0)
    assert any("half of DynamoDB's item limit" in r.getMessage() for r in caplog.records)
