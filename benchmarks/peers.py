"""The same windowed job in our pipeline, bytewax and Apache Flink, on the same real collector records, one core.

    python -m benchmarks.peers [--users 10000] [--minutes 10] [--engines floor,naive,ours,duckdb,bytewax,flink]

The job (`benchmarks/peer_jobs/points.py`): 1m/1h/1d tumbling event-time windows, sums of every metric per group
(the groupable attributes) and per user, distinct users per window. Input: Kinesis records of REAL collector output
(`benchmarks/real_lines.py`: the OTLP generator → the real collector → CloudWatch Logs → subscription → Kinesis,
cached). Every engine's totals are compared key by key with the naive baseline's (stdlib only, independent of our
decoders); any difference fails the run (exit 1). This process and every child is pinned to one CPU; each timing
is CPU time (user + system) of what it names, one run each. bytewax and PyFlink run in their own venvs, installed
on first use from `requirements/peers-*.lock.txt` (`benchmarks/peer_envs.py`). Not in CI (a tiny smoke run is).
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from benchmarks import peer_totals
from benchmarks.kcl_sim import SimClock
from benchmarks.machine import command_line, machine_info
from benchmarks.peer_envs import ROOT, PeerEnv
from benchmarks.peer_jobs.points import Point, points_of
from benchmarks.real_lines import CACHE, RealLines, real_lines
from benchmarks.references import NaiveAggregator, floor_decode_fast
from benchmarks.throughput import run_pipeline
from benchmarks.workload import kcl_batches
from consumers.aggregates.dimensions import GROUPABLE_ATTRIBUTES
from consumers.model import SourceRecord
from schemas.catalogue import METRICS
from schemas.envelope import decode_envelope
from schemas.prices import load_prices

ENGINES = ("floor", "naive", "ours", "duckdb", "bytewax", "flink")
SIZES_MS = {"1m": 60_000, "1h": 3_600_000, "1d": 86_400_000}


@dataclass
class Result:
    engine: str
    version: str
    covers: str
    cpu_s: float
    totals: peer_totals.Totals | None = None
    notes: list[str] = field(default_factory=list)


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def cpu_of(run: Callable[[], object]) -> tuple[float, object]:
    gc.collect()
    started = time.process_time()
    out = run()
    return time.process_time() - started, out


def emf_lines(records: list[SourceRecord]) -> list[str]:
    out: list[str] = []
    for rec in records:
        envelope = decode_envelope(rec.data)
        if not envelope.is_control:
            out += [e.message for e in envelope.log_events]
    return out


def decoded_points(lines: list[str]) -> list[Point]:
    decode = msgspec.json.Decoder().decode
    return [p for line in lines for p in points_of(decode(line), GROUPABLE_ATTRIBUTES)]


def run_ours(records: list[SourceRecord], batch_records: int) -> Result:
    batches = list(kcl_batches(records, batch_records))
    now_ms = max(r.arrival_ms for r in records)
    gc.collect()
    started = time.process_time()
    pipeline = run_pipeline(batches, SimClock(now_ms), flush=False)
    cpu = time.process_time() - started
    flush_cpu, _ = cpu_of(lambda: run_pipeline(batches, SimClock(now_ms), flush=True))
    return Result(
        "ours",
        "ShardPipeline",
        f"gunzip → rows: dedup claims, lateness, 1m/1h/1d groups and users ({len(batches)} batches)",
        cpu,
        peer_totals.of_pipeline(pipeline),
        [f"with a flush per batch (rows encoded for DynamoDB) {flush_cpu:.2f} s CPU"],
    )


def run_duckdb(points: list[Point]) -> Result:
    import duckdb
    import pyarrow as pa

    columns = list(zip(*points, strict=True))
    table = pa.table(
        {
            "ts": pa.array(columns[0], pa.int64()),
            "grp": pa.array(columns[1], pa.string()),
            "usr": pa.array(columns[2], pa.string()),
            "metric": pa.array(columns[3], pa.string()),
            "val": pa.array(columns[4], pa.float64()),
        }
    )

    def job() -> tuple[list[Any], list[Any], list[Any]]:
        con = duckdb.connect()
        con.execute("SET threads = 1")
        con.register("pts", table)
        groups: list[Any] = []
        users: list[Any] = []
        distinct: list[Any] = []
        for size, ms in SIZES_MS.items():
            start = f"ts - ts % {ms}"
            groups += con.execute(
                f"SELECT '{size}', {start} AS ws, grp, metric, SUM(val) FROM pts GROUP BY ws, grp, metric"
            ).fetchall()
            users += con.execute(
                f"SELECT '{size}', {start} AS ws, usr, metric, SUM(val) FROM pts WHERE usr IS NOT NULL "
                "GROUP BY ws, usr, metric"
            ).fetchall()
            distinct += con.execute(
                f"SELECT '{size}', {start} AS ws, COUNT(DISTINCT usr) FROM pts WHERE usr IS NOT NULL GROUP BY ws"
            ).fetchall()
        return groups, users, distinct

    gc.collect()
    started = time.process_time()
    groups, users, distinct = job()
    cpu = time.process_time() - started
    return Result(
        "duckdb",
        f"DuckDB {duckdb.__version__}",
        "GROUP BY over decoded points already in Arrow (no decode, no event time, no state): a lower bound",
        cpu,
        peer_totals.of_rows(groups, users, distinct),
    )


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PYTHONPATH"] = str(ROOT)
    return env


def run_job(python: Path, module: str, spec: dict[str, Any], folder: Path) -> dict[str, Any]:
    spec_path = folder / f"{module.rsplit('.', 1)[-1]}-spec.json"
    spec_path.write_text(msgspec.json.encode(spec).decode())
    subprocess.run([str(python), "-m", module, str(spec_path)], cwd=ROOT, env=child_env(), check=True)
    out: dict[str, Any] = msgspec.json.decode(Path(str(spec["output"])).read_bytes())
    return out


def run_bytewax(records: list[SourceRecord], folder: Path) -> Result:
    env = PeerEnv("bytewax")
    python = env.ensure(say)
    payloads = folder / "bytewax-input.msgpack"
    payloads.write_bytes(msgspec.msgpack.encode([r.data for r in records]))
    spec = {
        "input": str(payloads),
        "output": str(folder / "bytewax-output.json"),
        "groupable": list(GROUPABLE_ATTRIBUTES),
        "sizes": SIZES_MS,
    }
    out = run_job(python, "benchmarks.peer_jobs.bytewax_job", spec, folder)
    cpu: dict[str, float] = out["cpu"]
    return Result(
        "bytewax",
        f"bytewax {env.version('bytewax')}",
        "gunzip + envelope + lines (msgspec, dicts) + fold_window ×9 (EventClock, TumblingWindower), 1 worker",
        cpu["job"],
        peer_totals.of_rows(out["groups"], out["users"], out["distinct"]),
        [f"whole process {cpu['process']:.1f} s CPU (interpreter, imports, input file)"],
    )


def run_flink(lines: list[str], folder: Path, tiny_lines: int) -> Result:
    env = PeerEnv("flink")
    python = env.ensure(say)

    def job(name: str, subset: list[str]) -> tuple[dict[str, float], Path]:
        source = folder / f"flink-{name}.ndjson"
        source.write_text("".join(line + "\n" for line in subset))
        out_dir = folder / f"flink-{name}-out"
        spec = {
            "input": str(source),
            "output": str(folder / f"flink-{name}.json"),
            "output_dir": str(out_dir),
            "groupable": list(GROUPABLE_ATTRIBUTES),
            "metrics": sorted(METRICS),
            "sizes": SIZES_MS,
        }
        out = run_job(python, "benchmarks.peer_jobs.flink_job", spec, folder)
        return out["cpu"], out_dir

    say(f"  flink: a {tiny_lines}-line run first, for the fixed cost of a job (planning, code generation, start)")
    tiny, _ = job("tiny", lines[:tiny_lines])
    say("  flink: the full run")
    full, out_dir = job("full", lines)
    marginal = full["job"] - tiny["job"]
    return Result(
        "flink",
        f"Apache Flink {env.version('apache-flink')} (PyFlink, SQL, {java_version()})",
        "EMF lines → JSON format (decode in Java) + UNNEST + window TVFs ×9, one streaming job, parallelism 1",
        full["job"],
        peer_totals.of_flink(out_dir),
        [
            f"JVM start + catalog {full['setup']:.1f} s CPU (not counted)",
            f"fixed cost of a job ({tiny_lines} lines) {tiny['job']:.1f} s CPU; without it {marginal:.1f} s",
        ],
    )


def java_version() -> str:
    out = subprocess.run(["java", "-version"], capture_output=True, text=True, check=False)
    first = (out.stderr or out.stdout).splitlines()[0] if (out.stderr or out.stdout) else "java ?"
    return first.replace('"', "")


def pin_to_one_cpu(cpu: int | None) -> int:
    allowed = sorted(os.sched_getaffinity(0))
    chosen = cpu if cpu is not None else allowed[-1]
    os.sched_setaffinity(0, {chosen})  # children (bytewax, PyFlink's JVM) inherit it
    return chosen


def report(results: list[Result], points: int, reference: peer_totals.Totals) -> bool:
    ours = next((r.cpu_s for r in results if r.engine == "ours"), None)
    print(f"\n{'engine':<9}{'CPU s':>9}{'points/s':>12}{'vs ours':>9}  version — what the timing covers")
    for r in results:
        ratio = f"{ours / r.cpu_s:.2f}×" if ours else "–"
        print(f"{r.engine:<9}{r.cpu_s:>9.2f}{points / r.cpu_s:>12,.0f}{ratio:>9}  {r.version} — {r.covers}")
        for note in r.notes:
            print(f"{'':<39}{note}")
    ok = True
    print(f"\ntotals compared key by key with the naive baseline's ({len(reference):,} keys):")
    for r in results:
        if r.totals is None:
            continue
        problems = peer_totals.differences(reference, r.totals)
        ok = ok and not problems
        print(f"  {r.engine}: {'same' if not problems else 'MISMATCH: ' + ' | '.join(problems)}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--engines", default=",".join(ENGINES), help=f"comma-separated subset of {', '.join(ENGINES)}")
    parser.add_argument("--batch-records", type=int, default=40, help="records per batch for ours (kcl.properties)")
    parser.add_argument("--cpu", type=int, default=None, help="the CPU to pin to (default: the last one allowed)")
    parser.add_argument("--flink-tiny-lines", type=int, default=100)
    parser.add_argument("--cache-dir", type=Path, default=CACHE)
    args = parser.parse_args(argv)
    engines = [e for e in args.engines.split(",") if e]
    unknown = set(engines) - set(ENGINES)
    if unknown:
        parser.error(f"unknown engines {sorted(unknown)}")
    print(machine_info().line())
    allowed = os.sched_getaffinity(0)
    try:
        return run(args, engines, pin_to_one_cpu(args.cpu))
    finally:
        os.sched_setaffinity(0, allowed)  # a caller (the smoke test) keeps its cores


def run(args: argparse.Namespace, engines: list[str], cpu: int) -> int:
    print(f"command: {command_line()}; pinned to CPU {cpu}")
    captured: RealLines = real_lines(args.users, args.minutes, args.seed, args.cache_dir)
    print(captured.describe())
    records = captured.records
    points = captured.points_sent
    prices = load_prices()
    naive = NaiveAggregator(prices)
    naive_cpu, _ = cpu_of(lambda: naive.process(records))
    reference = peer_totals.of_naive(naive)
    if naive.points != points:
        print(f"naive baseline read {naive.points:,} points, the capture holds {points:,}")
        return 1
    results: list[Result] = []
    lines = emf_lines(records)
    with tempfile.TemporaryDirectory(prefix="ccstream-peers-") as tmp:
        folder = Path(tmp)
        for engine in engines:
            say(f"running {engine} …")
            if engine == "floor":
                floor_cpu, _ = cpu_of(lambda: floor_decode_fast(records))
                results.append(Result("floor", "ours", "gunzip + envelope + line reader, no aggregation", floor_cpu))
            elif engine == "naive":
                results.append(
                    Result("naive", "stdlib json", "stdlib json + per-point dict updates", naive_cpu, reference)
                )
            elif engine == "ours":
                results.append(run_ours(records, args.batch_records))
            elif engine == "duckdb":
                results.append(run_duckdb(decoded_points(lines)))
            elif engine == "bytewax":
                results.append(run_bytewax(records, folder))
            elif engine == "flink":
                results.append(run_flink(lines, folder, args.flink_tiny_lines))
    return 0 if report(results, points, reference) else 1


if __name__ == "__main__":
    sys.exit(main())
