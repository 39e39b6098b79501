"""Partial rows as `ClaudeCodeMetrics` items (layout in `consumers/items.py`, documented in schemas/ITEMS.md).

A row is never refused for its size: an encoded document over `MAX_ROW_DATA_BYTES` is split into parts of at most
`PART_BYTES`, written as extra items (`row_items`); readers put them back together (`consumers.items.row_data`).
"""

from __future__ import annotations

import logging
from typing import Any

from consumers.items import (
    date_time,
    decode_doc,
    dedup_key,
    encode_doc,
    fence_of,
    part_sk,
    row_detail,
    row_key_from_item,
    row_primary_key,
    row_type,
    snapshot_pk,
    window_sk_prefix,
)
from consumers.model import Position, RowKey, position_str
from consumers.windows.definitions import iso
from schemas.keys import SK

log = logging.getLogger(__name__)

__all__ = [  # the item layout helpers are re-exported for callers that import them from here
    "MAX_ROW_DATA_BYTES",
    "PART_BYTES",
    "ROW_SCHEMA_VERSION",
    "decode_doc",
    "dedup_key",
    "fence_of",
    "row_item",
    "row_items",
    "row_key_from_item",
    "row_primary_key",
    "row_type",
    "snapshot_pk",
    "window_sk_prefix",
]

ROW_SCHEMA_VERSION = 1
#: Largest encoded `data` kept in the row item itself: DynamoDB items are limited to 400 KB, keys and GSI
#: attributes included. Larger documents are split into parts.
MAX_ROW_DATA_BYTES = 380_000
#: Size of each part of a split row (the row item holds the first).
PART_BYTES = 350_000


def row_items(
    shard_id: str,
    key: RowKey,
    fence: Position,
    doc: dict[str, object],
    ttl_s: int,
    published: bool = False,
    buckets: int = 0,
) -> list[dict[str, Any]]:
    """The items of one row: the row item first, then the extra parts of a split row (to be written before it)."""
    _, hms, month, day = date_time(key.start_ms)
    typ = row_type(key.kind, key.size)
    detail = row_detail(shard_id, key)
    data = encode_doc(doc)
    fence_text = position_str(fence)
    item: dict[str, Any] = {
        **row_primary_key(shard_id, key),
        "kind": key.kind,
        "window": key.size,
        "window_start": iso(key.start_ms),
        "start_ms": key.start_ms,
        "shard": shard_id,
        "bucket": key.bucket,
        "fence": fence_text,
        "v": ROW_SCHEMA_VERSION,
        "data": data,
        "ttl": ttl_s,
        # MetricTypeIndex: every row of one TYPE, time-sorted across days (time-range queries).
        "gsi2pk": f"TYPE#{typ}",
        "gsi2sk": f"{iso(key.start_ms)}#{detail}",
    }
    if published:
        item["published"] = True
    if buckets:
        item["nb"] = buckets  # the window's bucket count (see `consumers.shard.rowbook`)
    if key.size == "1d":
        # MonthlyIndex: the daily rows of a month in one query (monthly views).
        item["gsi3pk"] = f"MONTH#{month}"
        item["gsi3sk"] = f"{day}#{hms}#{typ}#{detail}"
    if len(data) <= MAX_ROW_DATA_BYTES:
        return [item]
    chunks = [data[i : i + PART_BYTES] for i in range(0, len(data), PART_BYTES)]
    log.warning(
        "%s row %s bucket %d of %s is %s bytes encoded: split into %d items (raise the bucket setting, README "
        "§ Consumer settings, if this is common)",
        typ,
        iso(key.start_ms),
        key.bucket,
        shard_id,
        f"{len(data):,}",
        len(chunks),
    )
    item["data"] = chunks[0]
    item["parts"] = len(chunks)
    item["pfence"] = fence_text
    parts = [
        {"pk": item["pk"], SK: part_sk(item[SK], fence_text, i), "data": chunk, "ttl": ttl_s}
        for i, chunk in enumerate(chunks[1:], start=1)
    ]
    return [item, *parts]


def row_item(
    shard_id: str,
    key: RowKey,
    fence: Position,
    doc: dict[str, object],
    ttl_s: int,
    published: bool = False,
    buckets: int = 0,
) -> dict[str, Any]:
    """The row item alone (callers that write documents known to fit one item: tests, benchmarks)."""
    return row_items(shard_id, key, fence, doc, ttl_s, published, buckets)[0]
