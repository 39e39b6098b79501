"""Stores that count every write the pipeline would send to AWS, with DynamoDB's billing rules.

`CountingStores` keeps the in-memory contract of `MemoryStores` and counts, per kind (rows, dedup markers, shard
snapshots, CloudWatch publish claims, dead letters), the requests the DynamoDB/S3 stores would send, and the
PutMetricData requests and metrics of the closed-window publisher. For DynamoDB it also computes write
*units*: the item is built exactly as `DynamoStores` builds it (`consumers.sink.rows`), its size follows DynamoDB's
item-size rules, each started 1 KB is one unit, and every GSI the item appears in (projection ALL in
`infra/streaming.yaml`) costs the same again. Reads of rows after a restart or eviction are counted as read units
(strongly consistent BatchGetItem, as the pipeline reads them: one unit per started 4 KB).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from consumers.aggregates.partials import WindowPartial
from consumers.model import DeadLetter, Position, position_str
from consumers.sink.base import FencedError, RowKey, RowWrite, ShardSnapshot, StoredRow, Stores, window_of
from consumers.sink.cloudwatch import chunks, metric_data_for_window
from consumers.sink.memory import MemoryStores
from consumers.sink.rows import decode_doc, dedup_key, fence_of, row_item, snapshot_pk

WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096
#: Attributes that put an item into a GSI (all three GSIs project ALL attributes).
GSI_PARTITION_KEYS = ("gsi1pk", "gsi2pk", "gsi3pk")
DEDUP_TTL_S = 48 * 3600


def _number_bytes(value: int | float | Decimal) -> int:
    digits = str(Decimal(str(value)).normalize()).lstrip("-").replace(".", "").lstrip("0") or "0"
    return 1 + math.ceil(len(digits) / 2)


def attribute_value_bytes(value: Any) -> int:
    """DynamoDB's size of one attribute value (strings UTF-8, numbers ~digits/2 + 1, maps/lists 3 + 1/element)."""
    if isinstance(value, bool) or value is None:
        return 1
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, bytes | bytearray):
        return len(value)
    if isinstance(value, int | float | Decimal):
        return _number_bytes(value)
    if isinstance(value, dict):
        return 3 + sum(len(str(k).encode()) + attribute_value_bytes(v) + 1 for k, v in value.items())
    if isinstance(value, list | tuple | set):
        return 3 + sum(attribute_value_bytes(v) + 1 for v in value)
    raise TypeError(f"no DynamoDB size rule for {type(value).__name__}")


def item_bytes(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + attribute_value_bytes(v) for name, v in item.items())


def write_units(item: dict[str, Any], gsi_keys_only: bool = False) -> int:
    """Write request units of one PutItem, including one write per GSI the item appears in. With
    `gsi_keys_only` (a what-if: KEYS_ONLY instead of ALL projections) a GSI entry holds only the keys: one unit."""
    units = max(1, math.ceil(item_bytes(item) / WRITE_UNIT_BYTES))
    indexes = sum(1 for key in GSI_PARTITION_KEYS if key in item)
    return units + indexes * (1 if gsi_keys_only else units)


@dataclass
class WriteTally:
    """Requests and units per kind: `row.W1m` … `row.U1d` (partial rows), `dedup`, `snapshot`, `publish_claim`
    (DynamoDB), `dead_letter` (S3 objects)."""

    requests: Counter[str] = field(default_factory=Counter)
    units: Counter[str] = field(default_factory=Counter)
    bytes: Counter[str] = field(default_factory=Counter)
    read_units: float = 0.0
    gsi_keys_only: bool = False

    def add(self, kind: str, item: dict[str, Any] | None, size: int | None = None) -> None:
        self.requests[kind] += 1
        if item is not None:
            self.units[kind] += write_units(item, self.gsi_keys_only)
            self.bytes[kind] += item_bytes(item)
        elif size is not None:
            self.bytes[kind] += size

    @property
    def dynamodb_requests(self) -> int:
        return sum(n for kind, n in self.requests.items() if kind != "dead_letter")

    @property
    def dynamodb_units(self) -> int:
        return sum(self.units.values())

    def by_group(self) -> dict[str, tuple[int, int]]:
        """(requests, units) per group: `rows`, `dedup`, `snapshot`, `dead_letter`."""
        out: dict[str, tuple[int, int]] = {}
        for kind, n in self.requests.items():
            group = "rows" if kind.startswith("row.") else kind
            req, units = out.get(group, (0, 0))
            out[group] = (req + n, units + self.units.get(kind, 0))
        return out

    def merge(self, other: WriteTally) -> None:
        self.requests.update(other.requests)
        self.units.update(other.units)
        self.bytes.update(other.bytes)
        self.read_units += other.read_units


class CountingPublisher:
    """Builds the PutMetricData requests of each closed window as `CloudWatchPublisher` would, and counts the
    requests and the distinct metrics (name + dimensions) they create."""

    def __init__(self) -> None:
        self.calls = 0
        self.windows = 0
        self.series: set[tuple[str, tuple[tuple[str, str], ...]]] = set()

    def publish_window(self, window_start_ms: int, partial: WindowPartial, ratios: bool = True) -> int:
        data = metric_data_for_window(window_start_ms, partial)
        for d in data:
            self.series.add((d["MetricName"], tuple((x["Name"], x["Value"]) for x in d.get("Dimensions", []))))
        calls = len(chunks(data))
        self.calls += calls
        self.windows += 1
        return calls


class CountingStores:
    """The four store protocols, counting what AWS would bill. Rows are kept as DynamoDB would keep them (the
    encoded item), so a flush costs what it costs against DynamoDB: building and compressing the item. Dedup
    markers, snapshots and dead letters live in a `MemoryStores`. Time (TTL) is not simulated."""

    def __init__(self, inner: MemoryStores | None = None, now_s: int = 0, gsi_keys_only: bool = False) -> None:
        self.inner = inner or MemoryStores()
        self.tally = WriteTally(gsi_keys_only=gsi_keys_only)
        self.items: dict[tuple[str, RowKey], dict[str, Any]] = {}
        self.now_s = now_s
        self.publisher = CountingPublisher()

    # RowStore
    def load_rows(self, shard_id: str, keys: list[RowKey]) -> dict[RowKey, StoredRow]:
        found: dict[RowKey, StoredRow] = {}
        for key in keys:
            item = self.items.get((shard_id, key))
            units = 1 if item is None else math.ceil(item_bytes(item) / READ_UNIT_BYTES)
            self.tally.read_units += max(1, units)  # strongly consistent; a miss costs the minimum
            if item is not None:
                found[key] = StoredRow(key, fence_of(item), decode_doc(item["data"]), buckets=int(item.get("nb", 0)))
        return found

    def bucket_counts(self, shard_id: str, windows: list[RowKey]) -> dict[RowKey, int]:
        self.tally.read_units += len(windows)  # one strongly consistent Query of one small projected row each
        wanted = set(windows)
        return {
            window_of(k): int(item.get("nb", 0))
            for (s, k), item in self.items.items()
            if s == shard_id and window_of(k) in wanted
        }

    def save_rows(self, shard_id: str, rows: list[RowWrite]) -> None:
        for w in rows:
            item = row_item(shard_id, w.key, w.fence, w.doc, w.ttl_s, w.published, w.buckets)
            self.tally.add(f"row.{w.key.kind}{w.key.size}", item)
            old = self.items.get((shard_id, w.key))
            if old is not None and fence_of(old) > w.fence:
                raise FencedError(f"{w.key} is at {fence_of(old)}, newer than {w.fence}")
            self.items[(shard_id, w.key)] = item

    # PublishClaims: an UpdateItem on the row; it costs the item's size, and again in every GSI it is projected to
    def claim_publish(self, shard_id: str, key: RowKey) -> bool:
        item = self.items.get((shard_id, key))
        if item is None or item.get("published"):
            self.tally.add("publish_claim", {"pk": "x"})  # a failed condition still costs a unit
            return False
        item["published"] = True
        self.tally.add("publish_claim", item)
        return True

    # DedupStore
    def claim(self, shard_id: str, claims: list[tuple[str, Position]]) -> set[str]:
        for fingerprint, pos in claims:
            item = {
                **dedup_key(fingerprint),
                "owner": shard_id,
                "owner_pos": position_str(pos),
                "ttl": self.now_s + DEDUP_TTL_S,
            }
            self.tally.add("dedup", item)
        return self.inner.claim(shard_id, claims)

    # StateStore
    def load_snapshots(self, app: str, shard_id: str) -> list[ShardSnapshot]:
        return self.inner.load_snapshots(app, shard_id)

    def save_snapshot(self, app: str, shard_id: str, snapshot: ShardSnapshot) -> None:
        item = {
            "pk": snapshot_pk(app, shard_id),
            "sk": f"SNAP#{position_str(snapshot.position)}",
            "watermark_ms": snapshot.watermark_ms,
            "counters": snapshot.counters,
            "saved_ms": self.now_s * 1000,
            "ttl": self.now_s + 7 * 86400,
        }
        self.tally.add("snapshot", item)
        self.inner.save_snapshot(app, shard_id, snapshot)

    # DeadLetterSink (one S3 object per letter, as consumers.sink.deadletter.S3DeadLetters writes them)
    def write(self, letters: list[DeadLetter]) -> None:
        for dl in letters:
            self.tally.add("dead_letter", None, size=len(dl.payload) + len(dl.detail) + 200)
        self.inner.write(letters)

    def stores(self) -> Stores:
        return Stores(rows=self, dedup=self, state=self, dead_letters=self, metrics=self.publisher)

    def stored_row_bytes(self) -> dict[tuple[str, RowKey], int]:
        """Size of every row item currently stored (last write wins)."""
        return {k: item_bytes(item) for k, item in self.items.items()}
