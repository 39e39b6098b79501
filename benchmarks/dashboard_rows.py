"""The aggregate rows the dashboard benchmark reads: simulated, aggregated by the real pipeline, optionally spread
over 30 days, and loaded into a DynamoDB table exactly as the consumer writes them.

Simulating 10,000 developers for 30 days is out of reach here (30 minutes take ≈ 35 s of CPU, so a day ≈ 30 min
and a month ≈ 15 h), so `spread` builds a month from one simulated span (`minutes` ≤ 60, the "template") the way
the consumer would have written it had every hour looked like the template:
- 1m rows for the last `minute_hours` hours (1m rows live 2 days): minute m is a copy of template minute m mod T;
- 1h rows for every hour of `days` days: each a copy of the template's hour;
- 1d rows for every day: the template's window rows; user rows hold `day_users` distinct developers (the cost
  model's 70 % of the population active on a day), made of renamed copies of the template's users (kept in their
  bucket), so a daily row is as large as a real day's.
Every hour at the template's activity is an upper bound on 1m and 1h row sizes (nights and weekends are quieter).
"""

from __future__ import annotations

import functools
import hashlib
import pickle
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from benchmarks.workload import WorkloadSpec, build_workload, kcl_batches
from consumers.aggregates.dimensions import GROUPABLE_ATTRIBUTES
from consumers.config import Tunables
from consumers.dashboard.timerange import DAY_MS, HOUR_MS, MINUTE_MS
from consumers.model import RowKey
from consumers.pipeline import ShardPipeline
from consumers.sink.base import StoredRow
from consumers.sink.dynamodb import to_ddb, with_backoff
from consumers.sink.memory import MemoryStores
from consumers.sink.rows import ROW_SCHEMA_VERSION, row_items
from consumers.windows.definitions import WINDOW_SIZES, iso
from schemas.keys import GSIS

CACHE = Path(".cache")
DAY_START_MS = 1_795_219_200_000 - DAY_MS  # 2026-11-20 00:00 UTC, a Friday
Rows = dict[tuple[str, RowKey], StoredRow]


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _row_format() -> str:
    """Short fingerprint of how rows are shaped, so a cache from an older layout is never reused."""
    tunables = Tunables()
    shape = (GROUPABLE_ATTRIBUTES, ROW_SCHEMA_VERSION, tunables.user_buckets, sorted(tunables.window_buckets.items()))
    return hashlib.sha1(repr(shape).encode()).hexdigest()[:8]


def build_rows(users: int, minutes: int, seed: int, cache: Path = CACHE) -> Rows:
    """Aggregated rows of the simulated workload from DAY_START_MS (cached on disk)."""
    path = cache / f"dashboard-rows-{users}u-{minutes}m-s{seed}-{_row_format()}.pickle"
    if path.is_file():
        say(f"rows from {path}")
        rows: Rows = pickle.loads(path.read_bytes())  # our own cache file, written below
        return rows
    spec = WorkloadSpec(users=users, minutes=minutes, start_ms=DAY_START_MS, seed=seed)
    say(f"simulating {spec.describe()} …")
    started = time.perf_counter()
    workload = build_workload(spec)
    say(f"  {workload.volume.log_events:,} EMF lines in {time.perf_counter() - started:.0f} s; aggregating …")
    stores = MemoryStores()
    end_ms = spec.start_ms + minutes * 60_000
    for shard, records in workload.records.items():
        pipe = ShardPipeline("bench", shard, stores.stores(), Tunables(), clock_ms=lambda: 0)
        for batch in kcl_batches(records):
            pipe.process(batch)
        pipe.flush(force=True)
    say(f"  {len(stores.rows):,} rows up to {iso(end_ms)} after {time.perf_counter() - started:.0f} s")
    cache.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(stores.rows))
    return stores.rows


def _moved(row: StoredRow, start_ms: int, doc: dict[str, object] | None = None) -> tuple[RowKey, StoredRow]:
    key = row.key._replace(start_ms=start_ms)
    return key, replace(row, key=key, doc=row.doc if doc is None else doc)


def _users(doc: dict[str, Any]) -> dict[str, Any]:
    users: dict[str, Any] = doc.get("users") or {}
    return users


def _renamed_users(doc: dict[str, Any], copies: int) -> dict[str, object]:
    """The user document with `copies` renamed copies of each user (and of their session ids)."""
    users: dict[str, Any] = {}
    for copy in range(copies):
        tag = "" if copy == 0 else f"+d{copy}"
        for user, entry in (doc.get("users") or {}).items():
            sums, sessions, *sketch = entry
            users[f"{user}{tag}"] = [sums, [f"{s}{tag}" for s in sessions], *sketch]
    return {**doc, "users": users}


def spread(rows: Rows, template_minutes: int, days: int, minute_hours: int, day_users: int) -> tuple[Rows, int]:
    """A month of rows from the template (see the module text); returns the rows and the end of the data."""
    if template_minutes > 60:
        raise ValueError("the template is one hour at most (its 1h rows are copied into every hour)")
    end_ms = DAY_START_MS + DAY_MS
    first_ms = end_ms - days * DAY_MS
    by_size: dict[str, list[tuple[str, StoredRow]]] = {"1m": [], "1h": [], "1d": []}
    for (shard, key), row in rows.items():
        by_size[key.size].append((shard, row))
    template_users = {u for _, r in by_size["1h"] if r.key.kind == "U" for u in _users(r.doc)}
    copies = max(1, round(day_users / max(1, len(template_users))))
    minutes: dict[int, list[tuple[str, StoredRow]]] = {}
    for shard, row in by_size["1m"]:
        minutes.setdefault(row.key.start_ms, []).append((shard, row))
    out: Rows = {}
    for minute_ms in range(end_ms - minute_hours * HOUR_MS, end_ms, MINUTE_MS):
        source = DAY_START_MS + ((minute_ms - DAY_START_MS) // MINUTE_MS % template_minutes) * MINUTE_MS
        for shard, row in minutes.get(source, []):
            key, moved = _moved(row, minute_ms)
            out[(shard, key)] = moved
    for hour_ms in range(first_ms, end_ms, HOUR_MS):
        for shard, row in by_size["1h"]:
            key, moved = _moved(row, hour_ms)
            out[(shard, key)] = moved
    daily = {
        (shard, row.key): _renamed_users(row.doc, copies) if row.key.kind == "U" else row.doc
        for shard, row in by_size["1d"]
    }
    for day_ms in range(first_ms, end_ms, DAY_MS):
        for shard, row in by_size["1d"]:
            key, moved = _moved(row, day_ms, daily[(shard, row.key)])
            out[(shard, key)] = moved
    say(
        f"spread over {days} days: {len(out):,} rows (1m rows for the last {minute_hours} h; daily user rows "
        f"{len(template_users):,} × {copies} = {len(template_users) * copies:,} developers)"
    )
    return out, end_ms


def create_table(client: Any, table: str) -> None:
    attrs = {"pk", "sk"} | {a for pair in GSIS.values() for a in pair}
    client.create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in sorted(attrs)],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": name,
                "KeySchema": [{"AttributeName": p, "KeyType": "HASH"}, {"AttributeName": s, "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"},
            }
            for name, (p, s) in GSIS.items()
        ],
    )


def items_of(rows: Rows) -> Iterator[dict[str, Any]]:
    """Every item of every row as the consumer writes it (split rows: their extra parts too)."""
    for (shard, key), row in rows.items():
        size = WINDOW_SIZES[key.size]
        ttl_s = (size.end_of(key.start_ms) + size.ttl_ms) // 1000
        for item in row_items(shard, key, row.fence, row.doc, ttl_s, row.published, row.buckets):
            yield to_ddb(item)


def load_rows(client: Any, table: str, rows: Rows) -> int:
    """BatchWriteItem every item; returns how many."""
    started = time.perf_counter()
    batch: list[dict[str, Any]] = []
    count = 0

    def write(items: list[dict[str, Any]]) -> None:
        request: dict[str, Any] = {table: [{"PutRequest": {"Item": it}} for it in items]}
        while request:
            resp = with_backoff(functools.partial(client.batch_write_item, RequestItems=request), "BatchWriteItem")
            request = resp.get("UnprocessedItems") or {}

    for item in items_of(rows):
        batch.append(item)
        count += 1
        if len(batch) == 25:
            write(batch)
            batch = []
        if count % 20_000 == 0:
            say(f"  loaded {count:,} items")
    if batch:
        write(batch)
    say(f"loaded {count:,} items in {time.perf_counter() - started:.0f} s")
    return count
