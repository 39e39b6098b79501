"""Which stored rows a fine batch lands in.

A window row holds, for one window (size, start), the signatures whose hash falls into its bucket; a user row the
users whose hash falls into its bucket (`schemas/ITEMS.md` has the item layout). A batch has thousands of signatures
and users but touches only a few dozen rows, so rows are worked out once per (minute, buckets) group and every
signature or user only looks its group up.

How many buckets a window is split into is decided per window, by the caller (`WindowCounts`): the pipeline keeps
the count a window's stored rows were written with, so a changed setting applies to new windows only and a replay
after a restart routes every record to the row that already holds it.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from consumers.aggregates.batch import FineBatch
from consumers.aggregates.dimensions import Signature, signature_key
from consumers.model import RowKey
from consumers.windows.definitions import WindowSize

#: Cached hashes are dropped when a cache grows past this (label sets and users churn slowly). Signatures have the
#: smallest cache: ~6,700 are open per shard for 10,000 developers, and a client inventing label sets (folded into
#: `__other__` by the rows) would otherwise fill 200,000 keys and hashes (BENCHMARKS.md "Memory": −50 MB).
_SIGNATURE_CACHE_LIMIT = 20_000
_CACHE_LIMIT = 200_000

WindowGroup = tuple[int, tuple[int, ...]]  # (minute, bucket per window size)
UserGroup = tuple[int, tuple[int, ...]]  # (minute, user bucket per window size)
#: (kind, minute) → bucket count of the window of each size holding that minute, in the order of `Router.sizes`.
WindowCounts = Mapping[tuple[str, int], tuple[int, ...]]


@dataclass(slots=True)
class Routes:
    window_rows: dict[WindowGroup, list[RowKey]] = field(default_factory=dict)
    user_rows: dict[UserGroup, list[RowKey]] = field(default_factory=dict)
    #: (group, signature, stored signature key, [sums, points]) per (minute, signature) of the batch
    labels: list[tuple[WindowGroup, Signature, str, list[Any]]] = field(default_factory=list)
    #: (group, user, [sums, sessions]) per (minute, user) of the batch
    users: list[tuple[UserGroup, str, list[Any]]] = field(default_factory=list)

    def touched(self) -> set[RowKey]:
        out = {k for keys in self.window_rows.values() for k in keys}
        out.update(k for keys in self.user_rows.values() for k in keys)
        return out


def buckets_of(h: int, counts: tuple[int, ...]) -> tuple[int, ...]:
    return tuple([h % n if n > 1 else 0 for n in counts])


class Router:
    """Routes fine batches for one shard; caches each signature's stored key and hash and each user's hash."""

    def __init__(self, sizes: tuple[WindowSize, ...]) -> None:
        self.sizes = sizes
        self._signatures: dict[Signature, tuple[str, int]] = {}
        self._users: dict[str, int] = {}
        #: counts per size → {hash → bucket per size}: one tuple per signature or user, not one per batch entry
        self._buckets_by_counts: dict[tuple[int, ...], dict[int, tuple[int, ...]]] = {}

    def signature(self, sig: Signature) -> tuple[str, int]:
        """The stored key of a signature and its hash (its bucket is the hash modulo the window's count)."""
        known = self._signatures.get(sig)
        if known is None:
            if len(self._signatures) > _SIGNATURE_CACHE_LIMIT:
                self._signatures.clear()
            key = signature_key(sig)
            known = self._signatures[sig] = (key, zlib.crc32(key.encode()))
        return known

    def user_hash(self, user: str) -> int:
        h = self._users.get(user)
        if h is None:
            if len(self._users) > _CACHE_LIMIT * 5:
                self._users.clear()
            h = self._users[user] = zlib.crc32(user.encode())
        return h

    def _buckets(self, h: int, counts: tuple[int, ...]) -> tuple[int, ...]:
        """The bucket per window size of hash `h` (cached: one tuple per signature or user and counts)."""
        table = self._buckets_by_counts.get(counts)
        if table is None or len(table) > _CACHE_LIMIT // 2:  # hashes of open signatures and users: ~17,000 a shard
            table = self._buckets_by_counts[counts] = {}
        buckets = table.get(h)
        if buckets is None:
            buckets = table[h] = buckets_of(h, counts)
        return buckets

    def _rows(self, kind: str, minute: int, buckets: tuple[int, ...]) -> list[RowKey]:
        return [RowKey(kind, z.name, z.start_of(minute), b) for z, b in zip(self.sizes, buckets, strict=True)]  # type: ignore[arg-type]

    def route(self, fine: FineBatch, counts: WindowCounts) -> Routes:
        routes = Routes()
        signature, user_hash, buckets_for = self.signature, self.user_hash, self._buckets
        for (minute, sig), entry in fine.labels.items():
            key, h = signature(sig)
            group = (minute, buckets_for(h, counts["W", minute]))
            if group not in routes.window_rows:
                routes.window_rows[group] = self._rows("W", minute, group[1])
            routes.labels.append((group, sig, key, entry))
        for (minute, user), uentry in fine.users.items():
            ugroup = (minute, buckets_for(user_hash(user), counts["U", minute]))
            if ugroup not in routes.user_rows:
                routes.user_rows[ugroup] = self._rows("U", minute, ugroup[1])
            routes.users.append((ugroup, user, uentry))
        return routes
