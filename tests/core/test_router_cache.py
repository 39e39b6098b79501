"""The router's caches are bounded (a client inventing label sets cannot grow them without end) and clearing them
changes no route: a signature's key and hash and a hash's buckets are the same before and after a clear."""

from __future__ import annotations

import zlib

from consumers.aggregates.dimensions import GROUPABLE_ATTRIBUTES, signature_key
from consumers.shard import routing
from consumers.shard.routing import Router
from consumers.windows.definitions import WINDOW_SIZES

COUNTS = (16, 4, 1)


def _signature(i: int) -> tuple[str | None, ...]:
    return (f"department-{i}", *([None] * (len(GROUPABLE_ATTRIBUTES) - 1)))


def test_signature_and_bucket_caches_stay_under_their_limits() -> None:
    router = Router(tuple(WINDOW_SIZES.values()))
    distinct = routing._CACHE_LIMIT  # ten times the signature limit, half again the bucket tables' limit
    for i in range(distinct):
        _, h = router.signature(_signature(i))
        router._buckets(h, COUNTS)
    assert len(router._signatures) <= routing._SIGNATURE_CACHE_LIMIT + 1
    assert all(len(table) <= routing._CACHE_LIMIT // 2 + 1 for table in router._buckets_by_counts.values())


def test_a_cleared_cache_gives_the_same_keys_hashes_and_buckets() -> None:
    router = Router(tuple(WINDOW_SIZES.values()))
    first = _signature(0)
    before = router.signature(first), router._buckets(router.signature(first)[1], COUNTS)
    for i in range(1, routing._CACHE_LIMIT):  # past both limits: both caches were cleared at least once
        router._buckets(router.signature(_signature(i))[1], COUNTS)
    after = router.signature(first), router._buckets(router.signature(first)[1], COUNTS)
    key = signature_key(first)
    h = zlib.crc32(key.encode())
    assert before == after == ((key, h), tuple(h % n if n > 1 else 0 for n in COUNTS))
