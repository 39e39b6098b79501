"""In-memory stores with the same contract as the DynamoDB/S3 ones (unit and property tests)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from consumers.model import DeadLetter, Position
from consumers.sink.base import FencedError, RowKey, RowWrite, ShardSnapshot, StoredRow, Stores, window_of


@dataclass
class MemoryStores:
    rows: dict[tuple[str, RowKey], StoredRow] = field(default_factory=dict)
    markers: dict[str, tuple[str, Position]] = field(default_factory=dict)
    snapshots: dict[tuple[str, str], list[ShardSnapshot]] = field(default_factory=dict)
    letters: dict[tuple[str, str, int, int, str, str | None], DeadLetter] = field(default_factory=dict)
    writes: int = 0

    # RowStore
    def load_rows(self, shard_id: str, keys: list[RowKey]) -> dict[RowKey, StoredRow]:
        out = {}
        for k in keys:
            row = self.rows.get((shard_id, k))
            if row is not None:
                out[k] = StoredRow(k, row.fence, copy.deepcopy(row.doc), row.published, row.buckets)
        return out

    def save_rows(self, shard_id: str, rows: list[RowWrite]) -> None:
        for w in rows:
            self.writes += 1
            old = self.rows.get((shard_id, w.key))
            if old is not None and old.fence > w.fence:
                raise FencedError(f"{w.key} is at {old.fence}, newer than {w.fence}")
            if old is not None and old.fence == w.fence:
                continue
            published = w.published or (old is not None and old.published)
            self.rows[(shard_id, w.key)] = StoredRow(w.key, w.fence, copy.deepcopy(w.doc), published, w.buckets)

    def bucket_counts(self, shard_id: str, windows: list[RowKey]) -> dict[RowKey, int]:
        wanted = set(windows)
        return {
            window_of(k): row.buckets for (s, k), row in self.rows.items() if s == shard_id and window_of(k) in wanted
        }

    def claim_publish(self, shard_id: str, key: RowKey) -> bool:
        row = self.rows.get((shard_id, key))
        if row is None or row.published:
            return False
        self.rows[(shard_id, key)] = StoredRow(row.key, row.fence, row.doc, True, row.buckets)
        return True

    # DedupStore
    def claim(self, shard_id: str, claims: list[tuple[str, Position]]) -> set[str]:
        dups = set()
        for fp, pos in claims:
            self.writes += 1
            owner = self.markers.setdefault(fp, (shard_id, pos))
            if owner != (shard_id, pos):
                dups.add(fp)
        return dups

    # StateStore
    def load_snapshots(self, app: str, shard_id: str) -> list[ShardSnapshot]:
        return list(self.snapshots.get((app, shard_id), []))

    def save_snapshot(self, app: str, shard_id: str, snapshot: ShardSnapshot) -> None:
        self.writes += 1
        lst = self.snapshots.setdefault((app, shard_id), [])
        lst.append(snapshot)
        del lst[:-8]

    # DeadLetterSink
    def write(self, letters: list[DeadLetter]) -> None:
        for dl in letters:
            key = (dl.shard_id, dl.sequence_number, dl.sub_sequence_number, dl.index, dl.reason, dl.metric)
            self.letters[key] = dl

    def stores(self, metrics: object | None = None) -> Stores:
        return Stores(rows=self, dedup=self, state=self, dead_letters=self, metrics=metrics)  # type: ignore[arg-type]
