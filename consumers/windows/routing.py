"""Which stored rows a fine batch lands in.

A window row holds, for one window (size, start), the signatures whose hash falls into its bucket; a user row the
users whose hash falls into its bucket (`schemas/keys.py` has the key design). A batch has thousands of signatures
and users but touches only a few dozen rows, so rows are worked out once per (minute, buckets) group and every
signature or user only looks its group up.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

from consumers.aggregates.batch import FineBatch
from consumers.aggregates.dimensions import Signature, signature_key
from consumers.sink.base import RowKey
from consumers.windows.definitions import WindowSize

#: Cached hashes are dropped when a cache grows past this (label sets and users churn slowly).
_CACHE_LIMIT = 200_000

WindowGroup = tuple[int, tuple[int, ...]]  # (minute, bucket per window size)
UserGroup = tuple[int, int]  # (minute, user bucket)


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


class Router:
    """Routes fine batches for one shard; caches each signature's key and buckets and each user's bucket."""

    def __init__(self, sizes: tuple[WindowSize, ...], window_buckets: dict[str, int], user_buckets: int) -> None:
        self.sizes = sizes
        self._bucket_counts = tuple(max(1, window_buckets.get(z.name, 1)) for z in sizes)
        self._user_buckets = user_buckets
        self._signatures: dict[Signature, tuple[str, tuple[int, ...]]] = {}
        self._users: dict[str, int] = {}

    def signature(self, sig: Signature) -> tuple[str, tuple[int, ...]]:
        """The stored key of a signature and its bucket in each window size."""
        known = self._signatures.get(sig)
        if known is None:
            if len(self._signatures) > _CACHE_LIMIT:
                self._signatures.clear()
            key = signature_key(sig)
            h = zlib.crc32(key.encode())
            known = self._signatures[sig] = (key, tuple(h % n if n > 1 else 0 for n in self._bucket_counts))
        return known

    def user_bucket(self, user: str) -> int:
        b = self._users.get(user)
        if b is None:
            if len(self._users) > _CACHE_LIMIT * 5:
                self._users.clear()
            b = self._users[user] = zlib.crc32(user.encode()) % self._user_buckets
        return b

    def route(self, fine: FineBatch) -> Routes:
        routes = Routes()
        sizes = self.sizes
        signature = self.signature
        for (minute, sig), entry in fine.labels.items():
            key, buckets = signature(sig)
            group = (minute, buckets)
            if group not in routes.window_rows:
                routes.window_rows[group] = [
                    RowKey("W", z.name, z.start_of(minute), b) for z, b in zip(sizes, buckets, strict=True)
                ]
            routes.labels.append((group, sig, key, entry))
        user_bucket = self.user_bucket
        for (minute, user), uentry in fine.users.items():
            ugroup = (minute, user_bucket(user))
            if ugroup not in routes.user_rows:
                routes.user_rows[ugroup] = [RowKey("U", z.name, z.start_of(minute), ugroup[1]) for z in sizes]
            routes.users.append((ugroup, user, uentry))
        return routes
