"""Throughput of decode + window + pre-aggregate on one core, against a naive baseline and a decode-only floor.

    python -m benchmarks.throughput [--users 10000] [--minutes 10] [--repeat 5] [--batch-records 40] [--profile]

By default the input is REAL collector output (`benchmarks.collector_workload`: the simulator's OTLP through
`otelcol-ccstream`/awsemf, cached in `.cache/workloads/`); `--source simulator` uses the simulator's own EMF
writer instead (the figures of earlier sessions). Lines are packed into subscription records (≈ 500 log events,
≈ 27 KB gzip'd each) and handed over in the batches a KCL consumer receives: ≤ `--batch-records` records (the
shipped `kcl.properties` caps them at 40) and ≤ 10 MB per GetRecords.
All contestants run in this process on the same batches, interleaved round by round (so a noisy spell on the
shared machine hits them all); each is timed `--repeat` times (CPU time of this single-threaded process). The best
run counts, and the spread (slowest / best) is printed. Figures are data points per second; the ratios are the
targets (≥ 4× naive, ≥ 0.7× the fast floor).
`--profile` adds a cProfile of the pipeline (top functions by own time).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import math
import pstats
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.collector_workload import CACHE_DIR, collector_workload
from benchmarks.counting import CountingStores
from benchmarks.kcl_sim import SimClock
from benchmarks.machine import command_line, machine_info
from benchmarks.references import (
    NaiveAggregator,
    floor_decode,
    floor_decode_fast,
    floor_decode_msgspec,
    floor_decode_native,
)
from benchmarks.workload import Workload, WorkloadSpec, build_workload, kcl_batches
from consumers import native as native_core
from consumers.model import SourceRecord
from consumers.pipeline import ShardPipeline
from consumers.sink.memory import MemoryStores
from schemas.catalogue import TOKEN_USAGE
from schemas.prices import load_prices

NAIVE_TARGET = 4.0
FLOOR_TARGET = 0.7
GENERIC_FLOOR = "generic floor: envelope + parse_line"
FAST_FLOOR = "decode floor: envelope + msgspec reader"
MSGSPEC_FLOOR = "msgspec decode only (lower bound)"
NATIVE_FLOOR = "native decode: envelope + core read"
NAIVE = "naive: stdlib json + per-point dicts"
PIPELINE = "pipeline (native core)"
PIPELINE_PYTHON = "pipeline (pure Python)"
PIPELINE_FLUSH = "pipeline (native core) + flush"


def timed(run: Callable[[], object], repeat: int) -> float:
    """Least CPU time of this process over `repeat` runs (garbage collected before each, enabled during).
    CPU time rather than wall time: the machines are shared, and a single-threaded run uses one core."""
    return min(samples(run, repeat))


def samples(run: Callable[[], object], repeat: int) -> list[float]:
    """CPU time of this process for each of `repeat` runs (garbage collected before each, enabled during)."""
    out = []
    for _ in range(repeat):
        gc.collect()
        started = time.process_time()
        run()
        out.append(time.process_time() - started)
    return out


def interleaved(contestants: dict[str, Callable[[], object]], repeat: int) -> dict[str, list[float]]:
    """`samples` of every contestant, one round of all of them at a time."""
    out: dict[str, list[float]] = {name: [] for name in contestants}
    for _ in range(repeat):
        for name, run in contestants.items():
            out[name] += samples(run, 1)
    return out


def new_pipeline(stores: MemoryStores | CountingStores, clock: SimClock, native: bool | None = None) -> ShardPipeline:
    return ShardPipeline("bench", "shardId-000000000000", stores.stores(), clock_ms=clock, native=native)


def run_pipeline(
    batches: list[list[SourceRecord]], clock: SimClock, flush: bool, native: bool | None = None
) -> ShardPipeline:
    """Process every batch; with `flush`, also flush after each batch as the KCL adapter does (rows are encoded
    exactly as for DynamoDB by `CountingStores`). `native`: use the native core (None: when built, unless
    `CCSTREAM_NATIVE=0`); False is the pure-Python pipeline, with the same results."""
    stores: MemoryStores | CountingStores = CountingStores() if flush else MemoryStores()
    pipeline = new_pipeline(stores, clock, native)
    for batch in batches:
        pipeline.process(batch)
        if flush:
            clock.now_ms += 60_000  # behind: every batch finds both flush intervals due
            snapshot = pipeline.flush()
            if snapshot is not None:
                pipeline.remember_checkpoint(snapshot)
    return pipeline


def pipeline_totals(pipeline: ShardPipeline, size: str, metric: str) -> dict[int, float]:
    out: dict[int, float] = {}
    for key, row in pipeline.rows.items():
        if key.kind == "W" and key.size == size:
            sigs = row.partial.sigs  # type: ignore[union-attr]
            out[key.start_ms] = out.get(key.start_ms, 0.0) + sum(s.get(metric, 0.0) for s in sigs.values())
    return out


def pipeline_rows(pipeline: ShardPipeline) -> str:
    """Every open row's content, in a canonical text form (bit-exact sums)."""
    return repr(sorted((repr(k), repr(r.partial.to_doc())) for k, r in pipeline.rows.items()))


def same_totals(a: dict[int, float], b: dict[int, float]) -> bool:
    return a.keys() == b.keys() and all(math.isclose(a[k], b[k], rel_tol=1e-9) for k in a)


def profile_pipeline(batches: list[list[SourceRecord]], clock: SimClock, top: int = 15) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    run_pipeline(batches, clock, flush=False)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--all-active", action="store_true", help="every user exports every minute")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--batch-records", type=int, default=40, help="max records per batch (KCL maxRecords)")
    parser.add_argument("--batch-mb", type=float, default=10.0, help="max MB per batch (GetRecords limit)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the pipeline")
    parser.add_argument(
        "--source",
        choices=("collector", "simulator"),
        default="collector",
        help="lines written by the real collector (default) or by the simulator's EMF writer",
    )
    parser.add_argument("--cache-dir", type=Path, default=CACHE_DIR, help="where collector captures are kept")
    args = parser.parse_args(argv)

    print(machine_info().line())
    print(f"command: {command_line()}")
    spec = WorkloadSpec(users=args.users, minutes=args.minutes, seed=args.seed, shards=1, all_active=args.all_active)
    print(f"workload: {spec.describe()}, lines by the {args.source} … generating", flush=True)
    workload: Workload = (
        collector_workload(spec, args.cache_dir) if args.source == "collector" else build_workload(spec)
    )
    records = workload.all_records()
    batches = list(kcl_batches(records, args.batch_records, int(args.batch_mb * 1024 * 1024)))
    volume = workload.volume
    print(
        f"input: {volume.points:,} data points in {volume.log_events:,} log events, {len(records):,} records "
        f"({volume.record_bytes / len(records) / 1024:.1f} KB gzip'd, "
        f"{volume.log_events / max(1, volume.data_records):.0f} events each), {len(batches)} KCL batches of ≤ "
        f"{args.batch_records:,} records / {args.batch_mb:g} MB (mean {len(records) / len(batches):,.0f} records)",
        flush=True,
    )
    clock = SimClock(max(r.arrival_ms for r in records))
    prices = load_prices()
    flat = [r for b in batches for r in b]

    floor_points = floor_decode(flat)
    fast_floor_points = floor_decode_fast(flat)
    native_floor_points = floor_decode_native(flat)
    naive = NaiveAggregator(prices)
    naive.process(flat)
    pipeline = run_pipeline(batches, SimClock(clock.now_ms), flush=False)
    python_pipeline = run_pipeline(batches, SimClock(clock.now_ms), flush=False, native=False)
    pipeline_points = pipeline.counters.values.get("points", 0)
    checks = {
        "native core built and used": native_core.on_by_default(),
        "points (floors, naive, pipeline)": (
            floor_points == fast_floor_points == native_floor_points == naive.points == pipeline_points == volume.points
        ),
        "lines decoded by msgspec alone": floor_decode_msgspec(flat) == volume.log_events,
        "token totals per hour equal": same_totals(
            naive.totals("1h", TOKEN_USAGE), pipeline_totals(pipeline, "1h", TOKEN_USAGE)
        ),
        "pure-Python pipeline: same rows": pipeline_rows(python_pipeline) == pipeline_rows(pipeline),
    }

    def naive_run() -> None:
        NaiveAggregator(prices).process(flat)

    contestants: dict[str, Callable[[], object]] = {
        GENERIC_FLOOR: lambda: floor_decode(flat),
        FAST_FLOOR: lambda: floor_decode_fast(flat),
        MSGSPEC_FLOOR: lambda: floor_decode_msgspec(flat),
        NATIVE_FLOOR: lambda: floor_decode_native(flat),
        NAIVE: naive_run,
        PIPELINE: lambda: run_pipeline(batches, SimClock(clock.now_ms), flush=False),
        PIPELINE_PYTHON: lambda: run_pipeline(batches, SimClock(clock.now_ms), flush=False, native=False),
        PIPELINE_FLUSH: lambda: run_pipeline(batches, SimClock(clock.now_ms), flush=True),
    }
    runs = interleaved(contestants, args.repeat)
    best = {name: min(times) for name, times in runs.items()}

    points = volume.points
    print(f"\n{'contestant (CPU s per run)':<42}{'best':>8}{'median':>8}{'slowest':>9}{'points/s':>11}")
    for name, times in runs.items():
        print(
            f"{name:<42}{min(times):>8.3f}{statistics.median(times):>8.3f}{max(times):>9.3f}"
            f"{points / min(times):>11,.0f}"
        )

    def ratio(floor: str, contestant: str = PIPELINE) -> str:
        per_round = sorted(f / p for f, p in zip(runs[floor], runs[contestant], strict=True))
        return f"{best[floor] / best[contestant]:.2f}× (rounds {per_round[0]:.2f}–{per_round[-1]:.2f}×)"

    vs_floor = best[FAST_FLOOR] / best[PIPELINE]
    print(
        f"\npipeline vs decode floor: {ratio(FAST_FLOOR)}, target ≥ {FLOOR_TARGET:g}×: "
        f"{'met' if vs_floor >= FLOOR_TARGET else 'NOT met'}"
    )
    print(f"pipeline vs msgspec decode only: {ratio(MSGSPEC_FLOOR)}")
    print(f"pipeline vs native decode: {ratio(NATIVE_FLOOR)} (what windowing, dedup and rows cost on top)")
    vs_naive = best[NAIVE] / best[PIPELINE]
    print(
        f"pipeline vs naive: {ratio(NAIVE)}, target ≥ {NAIVE_TARGET:g}×: "
        f"{'met' if vs_naive >= NAIVE_TARGET else 'NOT met'}"
    )
    print(
        f"pure-Python pipeline: {ratio(FAST_FLOOR, PIPELINE_PYTHON)} of the decode floor, "
        f"{ratio(NAIVE, PIPELINE_PYTHON)} naive; the core makes it {best[PIPELINE_PYTHON] / best[PIPELINE]:.2f}× faster"
    )
    print(
        f"with flush per batch: {best[FAST_FLOOR] / best[PIPELINE_FLUSH]:.2f}× decode floor, "
        f"{best[NAIVE] / best[PIPELINE_FLUSH]:.2f}× naive"
    )
    for name, ok in checks.items():
        print(f"check: {name}: {'ok' if ok else 'MISMATCH'}")
    if args.profile:
        print("\ncProfile of ShardPipeline.process (sorted by own time):")
        print(profile_pipeline(batches, SimClock(clock.now_ms)))
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
