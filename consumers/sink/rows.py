"""How partial rows, dedup markers and shard snapshots map to `ClaudeCodeMetrics` items (see schemas/ITEMS.md)."""

from __future__ import annotations

import logging
import zlib
from datetime import UTC, datetime
from typing import Any

import msgspec

from consumers.errors import RowTooLargeError
from consumers.model import Position, parse_position, position_str
from consumers.sink.base import RowKey
from consumers.windows.definitions import WINDOW_SIZES, iso

log = logging.getLogger(__name__)

ROW_SCHEMA_VERSION = 1
#: Largest encoded `data` accepted in one row: DynamoDB items are limited to 400 KB, keys and GSI attributes included.
MAX_ROW_DATA_BYTES = 380_000
_enc = msgspec.msgpack.Encoder()
_dec = msgspec.msgpack.Decoder()


def _date_time(ms: int) -> tuple[str, str, str, str]:
    dt = datetime.fromtimestamp(ms / 1000, UTC)
    return dt.strftime("%Y-%m-%d"), dt.strftime("%H:%M:%S"), dt.strftime("%Y-%m"), dt.strftime("%d")


def row_type(kind: str, size: str) -> str:
    """The TYPE part of the sort key: W1M, W1H, W1D (window dims) or U1M, U1H, U1D (users)."""
    return f"{kind}{WINDOW_SIZES[size].tag}"


def row_detail(shard_id: str, key: RowKey) -> str:
    return f"{shard_id}#{key.bucket:03d}"


def row_primary_key(shard_id: str, key: RowKey) -> dict[str, str]:
    date, hms, _, _ = _date_time(key.start_ms)
    return {
        "pk": f"METRICS#{date}",
        "sk": f"{hms}#{row_type(key.kind, key.size)}#{row_detail(shard_id, key)}",
    }


def _too_large(shard_id: str, key: RowKey, typ: str, size: int) -> None:
    """Warn at half the item limit, refuse above it — with the setting to raise."""
    setting = "CCSTREAM_USER_BUCKETS" if key.kind == "U" else f"CCSTREAM_WINDOW_BUCKETS ({key.size}=…)"
    where = f"{typ} row {iso(key.start_ms)} bucket {key.bucket} of {shard_id} is {size:,} bytes encoded"
    fix = (
        f"raise {setting} (e.g. double it) and restart the consumer: windows without rows yet (from the next "
        f"{key.size} window) use the new count; open windows keep the count their rows were written with, so "
        "this one stays as large (README § Consumer settings)"
    )
    if size <= MAX_ROW_DATA_BYTES:
        log.warning("%s, half of DynamoDB's item limit: %s", where, fix)
        return
    raise RowTooLargeError(f"{where}, over the {MAX_ROW_DATA_BYTES:,}-byte limit of one DynamoDB item: {fix}")


def encode_doc(doc: dict[str, object]) -> bytes:
    return zlib.compress(_enc.encode(doc), 1)


def decode_doc(data: bytes) -> dict[str, Any]:
    return _dec.decode(zlib.decompress(data))


def window_sk_prefix(shard_id: str, key: RowKey) -> tuple[str, str]:
    """(pk, sort-key prefix) of every bucket row of `key`'s window and shard."""
    primary = row_primary_key(shard_id, key)
    return primary["pk"], primary["sk"].rsplit("#", 1)[0] + "#"


def row_item(
    shard_id: str,
    key: RowKey,
    fence: Position,
    doc: dict[str, object],
    ttl_s: int,
    published: bool = False,
    buckets: int = 0,
) -> dict[str, Any]:
    _, hms, month, day = _date_time(key.start_ms)
    typ = row_type(key.kind, key.size)
    detail = row_detail(shard_id, key)
    data = encode_doc(doc)
    if len(data) > MAX_ROW_DATA_BYTES // 2:
        _too_large(shard_id, key, typ, len(data))
    item: dict[str, Any] = {
        **row_primary_key(shard_id, key),
        "kind": key.kind,
        "window": key.size,
        "window_start": iso(key.start_ms),
        "start_ms": key.start_ms,
        "shard": shard_id,
        "bucket": key.bucket,
        "fence": position_str(fence),
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
        item["nb"] = buckets  # the window's bucket count (see `consumers.pipeline`)
    if key.size == "1d":
        # MonthlyIndex: the daily rows of a month in one query (monthly views).
        item["gsi3pk"] = f"MONTH#{month}"
        item["gsi3sk"] = f"{day}#{hms}#{typ}#{detail}"
    return item


def row_key_from_item(item: dict[str, Any]) -> tuple[str, RowKey]:
    key = RowKey(item["kind"], item["window"], int(item["start_ms"]), int(item.get("bucket", 0)))
    return item["shard"], key


def fence_of(item: dict[str, Any]) -> Position:
    return parse_position(item["fence"])


def dedup_key(fingerprint: str) -> dict[str, str]:
    return {"pk": f"DEDUP#{fingerprint}", "sk": "DEDUP"}


def snapshot_pk(app: str, shard_id: str) -> str:
    return f"SHARD#{app}#{shard_id}"
