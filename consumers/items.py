"""How partial rows, dedup markers and shard snapshots are laid out as `ClaudeCodeMetrics` items.

The one place both sides share: the writer (`sink/rows.py`, `sink/dynamodb.py`) builds items with it, the readers
(`query/reader.py`, rollup, dashboard) decode them with it. Attribute and index names come from `schemas/keys.py`;
the item kinds are documented in `schemas/ITEMS.md`.

A row whose encoded document is larger than one item can hold is split: the row item holds the first part and
`parts` (how many) and `pfence` (the fence the parts were written with); part i ≥ 1 is its own item under the row's
partition key, sort key `<row sk>#P<pfence>#<i>`, with no index attributes (`part_sk`). `row_data` puts the
parts back together; parts of older fences are never read and expire with their TTL.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec

from consumers.model import Position, RowKey, parse_position
from consumers.windows.definitions import WINDOW_SIZES
from schemas.keys import PK, SK

_enc = msgspec.msgpack.Encoder()
_dec = msgspec.msgpack.Decoder()


def date_time(ms: int) -> tuple[str, str, str, str]:
    dt = datetime.fromtimestamp(ms / 1000, UTC)
    return dt.strftime("%Y-%m-%d"), dt.strftime("%H:%M:%S"), dt.strftime("%Y-%m"), dt.strftime("%d")


def row_type(kind: str, size: str) -> str:
    """The TYPE part of the sort key: W1M, W1H, W1D (window dims) or U1M, U1H, U1D (users)."""
    return f"{kind}{WINDOW_SIZES[size].tag}"


def row_detail(shard_id: str, key: RowKey) -> str:
    return f"{shard_id}#{key.bucket:03d}"


def row_primary_key(shard_id: str, key: RowKey) -> dict[str, str]:
    date, hms, _, _ = date_time(key.start_ms)
    return {PK: f"METRICS#{date}", SK: f"{hms}#{row_type(key.kind, key.size)}#{row_detail(shard_id, key)}"}


def part_sk(row_sk: str, fence: str, index: int) -> str:
    """Sort key of part `index` (≥ 1) of a split row written with `fence`."""
    return f"{row_sk}#P{fence}#{index:03d}"


def window_sk_prefix(shard_id: str, key: RowKey) -> tuple[str, str]:
    """(pk, sort-key prefix) of every bucket row of `key`'s window and shard."""
    primary = row_primary_key(shard_id, key)
    return primary[PK], primary[SK].rsplit("#", 1)[0] + "#"


def encode_doc(doc: dict[str, object]) -> bytes:
    return zlib.compress(_enc.encode(doc), 1)


def decode_doc(data: bytes) -> dict[str, Any]:
    return _dec.decode(zlib.decompress(data))


def row_data(item: dict[str, Any], get_item: Callable[[dict[str, str]], dict[str, Any] | None]) -> bytes:
    """The encoded document of a row item, with the parts of a split row fetched through `get_item(primary key)`
    (plain values in and out). A missing part means the row cannot be read: raise, never return half a row."""
    parts = int(item.get("parts", 1))
    if parts <= 1:
        return bytes(item["data"])
    chunks = [bytes(item["data"])]
    for i in range(1, parts):
        key = {PK: item[PK], SK: part_sk(item[SK], item["pfence"], i)}
        part = get_item(key)
        if part is None:
            raise LookupError(f"row {item[PK]} {item[SK]}: part {i} of {parts} is missing")
        chunks.append(bytes(part["data"]))
    return b"".join(chunks)


def row_key_from_item(item: dict[str, Any]) -> tuple[str, RowKey]:
    key = RowKey(item["kind"], item["window"], int(item["start_ms"]), int(item.get("bucket", 0)))
    return item["shard"], key


def fence_of(item: dict[str, Any]) -> Position:
    return parse_position(item["fence"])


def dedup_key(fingerprint: str) -> dict[str, str]:
    return {PK: f"DEDUP#{fingerprint}", SK: "DEDUP"}


def snapshot_pk(app: str, shard_id: str) -> str:
    return f"SHARD#{app}#{shard_id}"
