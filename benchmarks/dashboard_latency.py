"""Dashboard latency on the embedded emulator: p50/p95 per widget and for the whole page.

    python -m benchmarks.dashboard_latency [--users 1000] [--minutes 1440] [--repeat 5] [--range 1d --range 3h]

Data: `--users` simulated developers for `--minutes` from 00:00 UTC of a weekday (the lead's workload builder:
simulator → subscription envelopes → 2 shards), aggregated by the real `ShardPipeline` in memory, then the rows
are loaded into the emulator's table with BatchWriteItem. The rows are cached under `.cache/` so a rerun skips
the simulation. Then, for each range ending at the end of the data, reading the rows from memory (`--reader memory`: the
dashboard's own cost, what remains on real DynamoDB besides a few Query round trips) and/or from the emulator
(`--reader emulator`: moto sorts every item of the table on each Query, so this grows with the table):
- each widget as the CloudWatch Lambda renders it (fresh reads, no chart cache), `--repeat` times;
- the whole page over HTTP from `DashboardServer`, first request (empty chart cache) and then (chart cache filled;
  rows are read again on every request).
Numbers are wall-clock on this machine; they are printed, never asserted.
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import pickle
import statistics
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from benchmarks.machine import command_line, machine_info
from benchmarks.workload import WorkloadSpec, build_workload, kcl_batches
from consumers.aggregates.dimensions import GROUPABLE_ATTRIBUTES
from consumers.aws import AwsTarget
from consumers.config import Names, Tunables
from consumers.dashboard.charts import Charts
from consumers.dashboard.config import DashboardConfig, load_config
from consumers.dashboard.data import DashboardData
from consumers.dashboard.render import render_widget
from consumers.dashboard.server import DashboardServer
from consumers.dashboard.timerange import DAY_MS, TimeRange, parse_relative
from consumers.dashboard.widgets.catalogue import WIDGETS
from consumers.dashboard.widgets.context import WidgetContext
from consumers.emulator import EmbeddedEmulator
from consumers.pipeline import ShardPipeline
from consumers.query.reader import DynamoRowReader, RowReader
from consumers.sink.dynamodb import to_ddb, with_backoff
from consumers.sink.memory import MemoryStores
from consumers.sink.rows import ROW_SCHEMA_VERSION, row_item
from consumers.windows.definitions import WINDOW_SIZES, iso
from schemas.keys import GSIS

CACHE = Path(".cache")
DAY_START_MS = 1_795_219_200_000 - DAY_MS  # 2026-11-20 00:00 UTC, a Friday


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _row_format() -> str:
    """Short fingerprint of how rows are shaped, so a cache from an older layout is never reused."""
    tunables = Tunables()
    shape = (GROUPABLE_ATTRIBUTES, ROW_SCHEMA_VERSION, tunables.user_buckets, sorted(tunables.window_buckets.items()))
    return hashlib.sha1(repr(shape).encode()).hexdigest()[:8]


def build_rows(users: int, minutes: int, seed: int, cache: Path = CACHE) -> dict[tuple[str, Any], Any]:
    """Aggregated rows of the simulated workload (cached on disk)."""
    path = cache / f"dashboard-rows-{users}u-{minutes}m-s{seed}-{_row_format()}.pickle"
    if path.is_file():
        say(f"rows from {path}")
        return pickle.loads(path.read_bytes())  # our own cache file, written below
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


class IndexedRows:
    """A RowReader over rows in memory, indexed by (kind, size) and window start: returns only what a Query on
    the MetricTypeIndex would, so the memory figures show the dashboard's own cost."""

    def __init__(self, rows: dict[tuple[str, Any], Any]) -> None:
        self._index: dict[tuple[str, str], list[tuple[int, str, Any, dict[str, Any]]]] = {}
        for (shard, key), row in rows.items():
            self._index.setdefault((key.kind, key.size), []).append((key.start_ms, shard, key, row.doc))
        for entries in self._index.values():
            entries.sort(key=lambda e: (e[0], e[1], e[2].bucket))
        self._starts = {k: [e[0] for e in v] for k, v in self._index.items()}

    def rows(self, kind: str, size: str, from_ms: int, to_ms: int) -> Iterator[tuple[str, Any, dict[str, Any]]]:
        entries = self._index.get((kind, size), [])
        starts = self._starts.get((kind, size), [])
        for start, shard, key, doc in entries[bisect.bisect_left(starts, from_ms) : bisect.bisect_left(starts, to_ms)]:
            del start
            yield shard, key, doc


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


def load_rows(client: Any, table: str, rows: dict[tuple[str, Any], Any]) -> None:
    items = []
    for (shard, key), row in rows.items():
        size = WINDOW_SIZES[key.size]
        ttl_s = (size.end_of(key.start_ms) + size.ttl_ms) // 1000
        items.append(to_ddb(row_item(shard, key, row.fence, row.doc, ttl_s)))
    started = time.perf_counter()
    for i in range(0, len(items), 25):
        request = {table: [{"PutRequest": {"Item": it}} for it in items[i : i + 25]]}
        while request:
            resp = with_backoff(lambda r=request: client.batch_write_item(RequestItems=r), "BatchWriteItem")
            request = resp.get("UnprocessedItems") or {}
        if i and i % 10_000 == 0:
            say(f"  loaded {i:,}/{len(items):,} items")
    say(f"loaded {len(items):,} items in {time.perf_counter() - started:.0f} s")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(
    label: str,
    reader: Callable[[], RowReader],
    server: DashboardServer,
    config: DashboardConfig,
    ranges: list[str],
    end_ms: int,
    repeat: int,
    rows: int,
) -> None:
    for preset in ranges:
        rng = TimeRange.snapped(end_ms - parse_relative(preset), end_ms, end_ms)
        print(f"\n[{label}] range last {preset}: {rng.label}, {rows:,} rows")
        print(f"{'widget (Lambda path)':<24}{'p50 ms':>9}{'p95 ms':>9}{'reads':>7}")
        for spec in WIDGETS:
            times, reads = [], 0
            for _ in range(repeat):
                ctx = WidgetContext(DashboardData(reader()), rng, config, Charts(), end_ms, None)
                started = time.perf_counter()
                render_widget(spec, ctx, standalone=True)
                times.append(time.perf_counter() - started)
                reads = ctx.data.reads
            print(f"{spec.id:<24}{pct(times, 0.5) * 1000:>9.0f}{pct(times, 0.95) * 1000:>9.0f}{reads:>7}")
        page = f"{server.url}/?range={preset}"
        started = time.perf_counter()
        urllib.request.urlopen(page, timeout=900).read()
        cold = time.perf_counter() - started
        warm = []
        for _ in range(repeat):
            started = time.perf_counter()
            urllib.request.urlopen(page, timeout=900).read()
            warm.append(time.perf_counter() - started)
        print(
            f"{'whole page (HTTP)':<24}{statistics.median(warm) * 1000:>9.0f}{pct(warm, 0.95) * 1000:>9.0f}"
            f"   first request {cold * 1000:.0f} ms (empty chart cache); rows are read again on every request"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--minutes", type=int, default=1440)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--range", dest="ranges", action="append", help="relative ranges (default 1d and 3h)")
    parser.add_argument("--budgets", default=str(Path(__file__).resolve().parents[1] / "budgets.example.yaml"))
    parser.add_argument(
        "--reader",
        choices=("memory", "emulator", "both"),
        default="both",
        help="memory: the same rows from memory (the dashboard's own cost); emulator: DynamoDB on moto",
    )
    parser.add_argument("--cache-dir", type=Path, default=CACHE, help="where generated rows are kept")
    args = parser.parse_args(argv)
    ranges = args.ranges or ["1d", "3h"]
    rows = build_rows(args.users, args.minutes, args.seed, args.cache_dir)
    end_ms = DAY_START_MS + args.minutes * 60_000
    names = Names()
    config = load_config(args.budgets)
    print(machine_info().line())
    print(f"command: {command_line()}")
    if args.reader in ("memory", "both"):
        indexed = IndexedRows(rows)
        server = DashboardServer(
            AwsTarget("http://127.0.0.1:9", "us-east-1"),
            names,
            0,
            config=config,
            clock_ms=lambda: end_ms,
            budget_check_interval_s=0,
            reader_factory=lambda: indexed,
            use_cloudwatch=False,
        )
        server.start()
        try:
            measure("memory", lambda: indexed, server, config, ranges, end_ms, args.repeat, len(rows))
        finally:
            server.stop()
    if args.reader in ("emulator", "both"):
        with EmbeddedEmulator() as emu:
            aws = AwsTarget(emu.url, "us-east-1")
            client = aws.client("dynamodb")
            create_table(client, names.table)
            load_rows(client, names.table, rows)
            server = DashboardServer(aws, names, 0, config=config, clock_ms=lambda: end_ms, budget_check_interval_s=0)
            server.start()
            try:
                measure(
                    "emulator",
                    lambda: DynamoRowReader(client, names.table),
                    server,
                    config,
                    ranges,
                    end_ms,
                    args.repeat,
                    len(rows),
                )
            finally:
                server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
