"""Which JSON decoder among our dependencies reads the awsemf lines fastest, and what that means for throughput.

    python -m benchmarks.decoders [--users 10000] [--minutes 3] [--repeat 3]

The throughput target (pipeline ≥ 4× the naive stdlib baseline) leaves the pipeline, per data point, a quarter of
the naive time for everything: gunzip, the subscription envelope, the EMF line, de-duplication and windowing. This
script times, on the same records in one process and one thread, the parts no consumer can skip:

- gunzip (`zlib`), and the envelope (msgspec typed Struct) — fixed costs of reading a subscription record;
- the EMF lines alone, with every columnar or native reader we ship (`pyarrow.json`, `polars` `str.json_decode`,
  DuckDB `from_json`), msgspec (per line and as one JSON array), stdlib `json.loads`, and the native core's `read`
  (`consumers/native`, built by `make native`).

Lines are the real collector's by default (`benchmarks.collector_workload`); `--source simulator` uses ours.

It prints µs per data point and the "ceiling": naive time / (gunzip + envelope + fastest line reader), the ratio a
pipeline would reach if de-duplication and windowing cost nothing. Columnar readers need the lines as one column
(an Arrow array built here, timed with them).
"""

from __future__ import annotations

import argparse
import json
import os
import zlib
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("POLARS_MAX_THREADS", "1")  # one core, like the other contestants (before polars loads)

import duckdb
import msgspec
import polars as pl
import pyarrow as pa
import pyarrow.json as pa_json

from benchmarks.collector_workload import CACHE_DIR, collector_workload
from benchmarks.machine import command_line, machine_info
from benchmarks.references import NaiveAggregator
from benchmarks.throughput import timed
from benchmarks.workload import WorkloadSpec, build_workload
from consumers.aggregates.dimensions import GROUPABLE_ATTRIBUTES
from consumers.decode.lines import FastEmfLine, read_fast
from consumers.decode.native import read_native
from schemas.catalogue import METRICS
from schemas.envelope import decode_envelope
from schemas.prices import load_prices

#: Log events per subscription record (CloudWatch sends ≤ 500): how many lines the native reader gets per call.
RECORD_EVENTS = 500
#: The fields the aggregates need, as each columnar reader's schema.
_ATTRIBUTES = (*GROUPABLE_ATTRIBUTES, "user.email", "user.id", "session.id")
_DUCKDB_SHAPE = json.dumps(
    {"_aws": {"Timestamp": "BIGINT", "CloudWatchMetrics": [{"Metrics": [{"Name": "VARCHAR"}]}]}}
    | dict.fromkeys(_ATTRIBUTES, "VARCHAR")
    | dict.fromkeys(sorted(METRICS), "DOUBLE")
)


def _polars_dtype() -> pl.Struct:
    aws = pl.Struct(
        {
            "Timestamp": pl.Int64,
            "CloudWatchMetrics": pl.List(pl.Struct({"Metrics": pl.List(pl.Struct({"Name": pl.String}))})),
        }
    )
    fields: dict[str, pl.DataType] = {"_aws": aws}
    fields |= dict.fromkeys(_ATTRIBUTES, pl.String())
    fields |= dict.fromkeys(sorted(METRICS), pl.Float64())
    return pl.Struct(fields)


def line_readers(lines: list[str]) -> dict[str, Callable[[], int]]:
    """Each contestant reads every line; each returns how many lines it read (checked to be all of them)."""
    array = "[" + ",".join(lines) + "]"
    array_decoder = msgspec.json.Decoder(list[FastEmfLine])  # type: ignore[valid-type]  # the shipped Struct
    polars_dtype = _polars_dtype()
    con = duckdb.connect(config={"threads": 1})

    def native_core() -> int:  # per record-sized slice, as the pipeline calls it (the Lines do not pile up)
        read = 0
        for start in range(0, len(lines), RECORD_EVENTS):
            scanned = read_native(lines[start : start + RECORD_EVENTS]) or []
            read += len(scanned) - scanned.count(None)
        return read

    def msgspec_per_line() -> int:
        return sum(1 for i, line in enumerate(lines) if read_fast(i, line) is not None)

    def msgspec_array() -> int:
        return len(array_decoder.decode(array))

    def stdlib() -> int:
        return sum(1 for line in lines if json.loads(line))

    def pyarrow_json() -> int:
        blob = "\n".join(lines).encode()
        options = pa_json.ReadOptions(use_threads=False, block_size=1 << 24)
        return pa_json.read_json(pa.py_buffer(blob), read_options=options).num_rows

    def polars_json() -> int:
        return len(pl.Series("m", lines).str.json_decode(polars_dtype).struct.unnest())

    def duckdb_json() -> int:
        table = pa.table({"m": pa.array(lines, pa.large_string())})
        cursor = con.cursor()  # a fresh cursor per run: no result left open between runs
        try:
            cursor.register("lines", table)
            # the whole typed struct out, as a pipeline would consume it (a narrower query lets DuckDB skip fields)
            query = f"select from_json(m, '{_DUCKDB_SHAPE}') as l from lines"
            out = cursor.sql(query).to_arrow_table()
            return out.num_rows - out.column("l").null_count
        finally:
            cursor.close()

    return {
        "native core read, per record (shipped)": native_core,
        "msgspec typed Struct + checks, per line (read_fast)": msgspec_per_line,
        "msgspec typed Struct, one JSON array": msgspec_array,
        "pyarrow.json.read_json (all columns)": pyarrow_json,
        "polars str.json_decode (typed)": polars_json,
        "duckdb from_json (typed)": duckdb_json,
        "stdlib json.loads": stdlib,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--minutes", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--source", choices=("collector", "simulator"), default="collector")
    parser.add_argument("--cache-dir", type=Path, default=CACHE_DIR, help="where collector captures are kept")
    args = parser.parse_args(argv)

    print(machine_info().line())
    print(f"command: {command_line()}")
    spec = WorkloadSpec(users=args.users, minutes=args.minutes, seed=args.seed, shards=1)
    print(f"workload: {spec.describe()}, lines by the {args.source} … generating", flush=True)
    workload = collector_workload(spec, args.cache_dir) if args.source == "collector" else build_workload(spec)
    records = workload.all_records()
    points = workload.volume.points
    envelopes = [decode_envelope(r.data) for r in records]
    lines = [ev.message for env in envelopes if not env.is_control for ev in env.log_events]
    print(f"input: {points:,} data points in {len(lines):,} lines, {len(records):,} records", flush=True)

    prices = load_prices()
    t_naive = timed(lambda: NaiveAggregator(prices).process(records), args.repeat)
    t_gunzip = timed(lambda: [zlib.decompress(r.data, 47) for r in records], args.repeat)
    t_envelope = timed(lambda: [decode_envelope(r.data) for r in records], args.repeat) - t_gunzip

    def per_point(seconds: float) -> str:
        return f"{seconds / points * 1e6:>8.2f}"

    print(f"\n{'part':<44}{'µs/point':>8}")
    print(f"{'naive baseline (whole job, stdlib)':<44}{per_point(t_naive)}")
    print(f"{'gunzip (zlib)':<44}{per_point(t_gunzip)}")
    print(f"{'envelope (msgspec Struct, after gunzip)':<44}{per_point(t_envelope)}")
    print("lines only:")
    best = None
    complete = True
    for name, read in line_readers(lines).items():
        read_lines = read()
        seconds = timed(read, args.repeat)
        best = seconds if best is None else min(best, seconds)
        note = "" if read_lines == len(lines) else f"  (read only {read_lines:,} of {len(lines):,}: not comparable)"
        complete &= not note
        print(f"  {name:<42}{per_point(seconds)}{note}")
    assert best is not None
    fixed = t_gunzip + t_envelope
    ceiling = t_naive / (fixed + best)
    print(
        f"\nceiling: naive / (gunzip + envelope + fastest line reader) = {ceiling:.2f}× — the most any pipeline "
        f"reading records this way reaches, with de-duplication and windowing for free (target 4×)"
    )
    print(f"room for everything else at 4×: {(t_naive / 4 - fixed - best) / points * 1e6:.2f} µs per point")
    return 0 if complete else 1


if __name__ == "__main__":
    raise SystemExit(main())
