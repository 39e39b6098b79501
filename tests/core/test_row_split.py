"""A row too large for one DynamoDB item is split into parts, never refused (a refused row used to stall the shard:
the processor exited, the restart replayed the same records into the same row, forever)."""

from __future__ import annotations

import secrets
import uuid

import pytest

from consumers.aggregates.partials import UserEntry, UserPartial, WindowPartial
from consumers.aws import AwsTarget
from consumers.items import decode_doc, row_data
from consumers.model import RowKey
from consumers.query.reader import DynamoRowReader
from consumers.sink.base import RowWrite
from consumers.sink.dynamodb import DynamoStores
from consumers.sink.rows import MAX_ROW_DATA_BYTES, PART_BYTES, row_items
from tests.core.tables import create_metrics_table

SHARD = "shardId-000000000000"
START = 1_795_046_400_000


def users(n: int) -> UserPartial:
    # Random e-mails and session ids do not compress: the encoded size grows with n.
    return UserPartial(
        {f"{secrets.token_hex(12)}@example.com": UserEntry({"m": 1.0}, {secrets.token_hex(16)}) for _ in range(n)}
    )


def test_a_small_row_is_one_item() -> None:
    items = row_items(SHARD, RowKey("U", "1m", START, 0), (1, 0), users(100).to_doc(), 0)
    assert len(items) == 1 and "parts" not in items[0]


def test_an_oversized_row_is_split_and_reads_back_whole() -> None:
    doc = users(12_000).to_doc()  # ≈ 700 KB encoded
    items = row_items(SHARD, RowKey("U", "1d", START, 3), (7, 0), doc, 0)
    first, *parts = items
    assert first["parts"] == len(items) >= 2
    assert all(len(i["data"]) <= PART_BYTES for i in items)
    assert all("gsi2pk" not in p and "gsi3pk" not in p for p in parts)  # parts never show up in index queries
    by_key = {(p["pk"], p["sk"]): p for p in parts}
    data = row_data(first, lambda k: by_key.get((k["pk"], k["sk"])))
    assert decode_doc(data) == doc


def test_a_missing_part_is_an_error_not_half_a_row() -> None:
    first, *_ = row_items(SHARD, RowKey("U", "1d", START, 3), (7, 0), users(12_000).to_doc(), 0)
    with pytest.raises(LookupError, match="part 1"):
        row_data(first, lambda _k: None)


@pytest.mark.emulator
def test_split_rows_round_trip_on_dynamodb(aws: AwsTarget) -> None:
    """One 470 KB attribute value in a signature (the review's case) and a user row of 12,000 users, written
    twice with newer fences: the writer loads them back whole, and the reader sees one row each, whole."""
    client = aws.client("dynamodb")
    table = f"t-{uuid.uuid4().hex[:8]}"
    create_metrics_table(client, table)
    stores = DynamoStores(client, table)
    huge = secrets.token_hex(235_000)  # 470 KB, incompressible
    wkey, ukey = RowKey("W", "1m", START, 0), RowKey("U", "1m", START, 0)
    wdoc = WindowPartial({huge: {"m": 2.0}, "small": {"m": 1.0}}, 3).to_doc()
    udoc = users(12_000).to_doc()
    for fence in [(1, 0), (2, 0)]:
        stores.save_rows(
            SHARD, [RowWrite(wkey, fence, wdoc, 4_000_000_000), RowWrite(ukey, fence, udoc, 4_000_000_000)]
        )
    loaded = stores.load_rows(SHARD, [wkey, ukey])
    assert loaded[wkey].doc == wdoc and loaded[wkey].fence == (2, 0)
    assert loaded[ukey].doc == udoc
    assert len(huge) > MAX_ROW_DATA_BYTES
    reader = DynamoRowReader(client, table)
    got = list(reader.rows("W", "1m", START, START + 60_000))
    assert [(s, k) for s, k, _ in got] == [(SHARD, wkey)] and got[0][2] == wdoc
    got_u = list(reader.rows("U", "1m", START, START + 60_000))
    assert len(got_u) == 1 and got_u[0][2] == udoc
