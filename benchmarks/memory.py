"""Resident memory of a record processor holding 10,000 users' open 1m/1h/1d windows.

    python -m benchmarks.memory [--users 10000] [--minutes 3]

The parent simulates `--users` users all exporting every minute, packs the records for ONE shard (the worst case:
with Random distribution every shard sees almost every user, and the KCL runs one processor process per shard)
and streams them through a file to a child process. The child imports what `consumers.kcl.processor` imports,
notes its RSS, then runs `ShardPipeline.process` + `flush` per KCL batch (rows encoded as for DynamoDB and then
dropped, as DynamoDB would hold them) and reports its RSS and peak RSS (psutil; the kernel's `VmHWM`). Target: ≤ 300 MB.
The Java MultiLangDaemon is a separate process and not counted here (see `benchmarks.soak`).

    python -m benchmarks.memory --users 10000 --minutes 3 --distinct-per-minute 100000 --distinct-attr department

adds a hostile client on the same shard: every minute `--distinct-per-minute` lines, each with its own value of
`--distinct-attr` (`department`: distinct label sets, folded into `__other__` past `CCSTREAM_MAX_GROUPS_PER_WINDOW`;
`session.id`: one CI-bot identity with that many sessions, an HLL sketch past `CCSTREAM_MAX_SESSIONS_PER_USER`;
`user.id`: that many distinct identities, which no limit folds — identities come from verified credentials).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec

from benchmarks.machine import command_line, machine_info
from benchmarks.workload import WorkloadSpec, build_workload, kcl_batches
from consumers.model import Position, SourceRecord

TARGET_MB = 300
_encoder = msgspec.msgpack.Encoder()
#: (shard, sequence number as text — it does not fit 64 bits, sub-sequence, partition key, data, arrival ms)
_Frame = list[tuple[str, str, int, str, bytes, int]]
_batch_decoder = msgspec.msgpack.Decoder(_Frame)


def write_batches(batches: Iterator[list[SourceRecord]], path: Path) -> int:
    """Length-prefixed msgpack frames, one per batch; returns the number of batches."""
    n = 0
    with path.open("wb") as out:
        for batch in batches:
            frame = _encoder.encode(
                [
                    (r.shard_id, str(r.sequence_number), r.sub_sequence_number, r.partition_key, r.data, r.arrival_ms)
                    for r in batch
                ]
            )
            out.write(len(frame).to_bytes(8, "big"))
            out.write(frame)
            n += 1
    return n


def read_batches(path: Path) -> Iterator[list[SourceRecord]]:
    with path.open("rb") as src:
        while header := src.read(8):
            frame = _batch_decoder.decode(src.read(int.from_bytes(header, "big")))
            yield [
                SourceRecord(shard, int(seq), sub, key, data, arrival) for shard, seq, sub, key, data, arrival in frame
            ]


class DroppingRowStores:
    """Encodes each row exactly as the DynamoDB store does, then drops it (DynamoDB, not the process, holds it)."""

    def __init__(self) -> None:
        from consumers.sink.memory import MemoryStores

        self.meta = MemoryStores()
        self.rows_written = 0

    def load_rows(self, shard_id: str, keys: list[object]) -> dict[object, object]:
        return {}

    def bucket_counts(self, shard_id: str, windows: list[object]) -> dict[object, int]:
        return {}

    def save_rows(self, shard_id: str, rows: list[object]) -> None:
        from consumers.sink.rows import row_item

        for w in rows:
            row_item(shard_id, w.key, w.fence, w.doc, w.ttl_s, w.published, w.buckets)  # type: ignore[attr-defined]
            self.rows_written += 1

    def claim(self, shard_id: str, claims: list[tuple[str, Position]]) -> set[str]:
        return set()

    def stores(self):  # type: ignore[no-untyped-def]
        from consumers.sink.base import Stores

        return Stores(rows=self, dedup=self, state=self.meta, dead_letters=self.meta)  # type: ignore[arg-type]


HOSTILE_STREAM = "otel-stream-hostile"


def hostile_records(spec: WorkloadSpec, per_minute: int, attr: str, events_per_record: int = 500) -> list[SourceRecord]:
    """A hostile client's records: each minute `per_minute` commit lines, each with a distinct `attr` value."""
    from consumers.generate.emf_writer import EmfWriter
    from schemas.envelope import DATA_MESSAGE, Envelope, LogEvent, encode_envelope

    writer = EmfWriter()
    base = {"user.id": "ci-bot", "session.id": "bot-session", "department": "ci", "organization.id": "org"}
    out: list[SourceRecord] = []
    event_id = 0
    for minute in range(spec.minutes):
        start = spec.start_ms + minute * 60_000
        for first in range(0, per_minute, events_per_record):
            events = []
            for i in range(first, min(per_minute, first + events_per_record)):
                ts = start + i * 60_000 // per_minute
                labels = {**base, attr: f"{attr}-{minute}-{i}"}
                events.append(LogEvent(str(event_id), ts, writer.line(ts, labels, {"claude_code.commit.count": 1})))
                event_id += 1
            env = Envelope(DATA_MESSAGE, "123456789012", "/aws/claude-code/metrics", HOSTILE_STREAM, ["f"], events)
            arrival = events[-1].timestamp + 5_000
            out.append(SourceRecord("shardId-000000000000", 0, 0, f"h{event_id}", encode_envelope(env), arrival))
    return out


def merged(records: list[SourceRecord], extra: list[SourceRecord]) -> list[SourceRecord]:
    """Both streams on one shard in arrival order, renumbered (a shard's sequence numbers follow its arrivals)."""
    both = sorted([*records, *extra], key=lambda r: r.arrival_ms)
    return [
        SourceRecord(r.shard_id, 49 * 10**54 + n, 0, r.partition_key, r.data, r.arrival_ms) for n, r in enumerate(both)
    ]


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def peak_rss_mb() -> float:
    """This process's peak RSS: the kernel's high-water mark of its own address space (`VmHWM`).

    Not `getrusage().ru_maxrss`: Linux carries that across fork+exec, so a child started by a big parent reports
    at least the parent's size (measured: a 10 MB child of a 411 MB parent said 411 MB)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(path: Path, max_groups: int | None = None) -> dict[str, object]:
    """Run in the child process: the processor's imports, then the pipeline over every batch."""
    import gc

    import consumers.kcl.processor  # noqa: F401  (what the real processor process has loaded)
    from benchmarks.kcl_sim import SimClock
    from consumers.config import Tunables
    from consumers.pipeline import ShardPipeline

    gc.collect()
    baseline = rss_mb()
    stores = DroppingRowStores()
    clock = SimClock(0)
    pipeline: ShardPipeline | None = None
    by_minute: dict[int, float] = {}  # highest RSS seen after a batch, per minute of arrival time
    first_ms: int | None = None
    for batch in read_batches(path):
        clock.now_ms = max(r.arrival_ms for r in batch)
        first_ms = clock.now_ms if first_ms is None else first_ms
        if pipeline is None:
            tunables = Tunables() if max_groups is None else Tunables(max_groups_per_window=max_groups)
            pipeline = ShardPipeline("bench", batch[0].shard_id, stores.stores(), tunables, clock_ms=clock)
        pipeline.process(batch)
        snapshot = pipeline.flush()
        if snapshot is not None:
            pipeline.remember_checkpoint(snapshot)
        minute = (clock.now_ms - first_ms) // 60_000
        by_minute[minute] = round(max(by_minute.get(minute, 0.0), rss_mb()), 1)
    assert pipeline is not None
    gc.collect()
    current = rss_mb()
    users_open = {
        key.size: sum(
            len(pipeline.rows[k].partial.users) for k in pipeline.rows if k.kind == "U" and k.size == key.size
        )  # type: ignore[union-attr]
        for key in pipeline.rows
        if key.kind == "U"
    }
    return {
        "baseline_rss_mb": round(baseline, 1),
        "rss_mb": round(current, 1),
        "peak_rss_mb": round(max(current, peak_rss_mb()), 1),
        "rows_in_memory": len(pipeline.rows),
        "user_entries_open": users_open,
        "points": pipeline.counters.values.get("points", 0),
        "rows_written": stores.rows_written,
        "rss_mb_by_minute": [by_minute[m] for m in sorted(by_minute)],
        "limits": {k: v for k, v in pipeline.counters.values.items() if k.startswith("limits.")},
        "signatures_open": sum(len(getattr(row.partial, "sigs", ())) for row in pipeline.rows.values()),
    }


class ChildFailed(Exception):
    """A benchmark's child process exited non-zero (the tail of its stderr has been printed)."""

    def __init__(self, returncode: int) -> None:
        super().__init__(f"child exited with {returncode}")
        self.returncode = returncode


def run_child(module: str, *args: str) -> dict[str, Any]:
    """`python -m <module> --child <args>` in a fresh process (its RSS is its own, not the parent's workload's):
    the JSON on the last line it prints. ChildFailed when it fails."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path.cwd()), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-m", module, "--child", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=3600,
    )
    if done.returncode != 0:
        print(done.stderr[-3000:], file=sys.stderr)
        raise ChildFailed(done.returncode)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--minutes", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch-mb", type=float, default=10.0, help="max MB per KCL batch (10 = GetRecords limit)")
    parser.add_argument(
        "--batch-records", type=int, default=10_000, help="max records per KCL batch (kcl.properties maxRecords)"
    )
    parser.add_argument("--distinct-per-minute", type=int, default=0, help="a hostile client's lines per minute")
    parser.add_argument("--distinct-attr", default="department", choices=["department", "session.id", "user.id"])
    parser.add_argument("--max-groups", type=int, help="CCSTREAM_MAX_GROUPS_PER_WINDOW for this run")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.max_groups)))
        return 0

    print(machine_info().line())
    print(f"command: {command_line()}")
    spec = WorkloadSpec(args.users, args.minutes, seed=args.seed, shards=1, all_active=True)
    print(
        f"workload: {spec.describe()}, all on one shard, batches ≤ {args.batch_records:,} records and "
        f"≤ {args.batch_mb:g} MB … generating",
        flush=True,
    )
    workload = build_workload(spec)
    records = workload.all_records()
    if args.distinct_per_minute:
        print(
            f"hostile client: {args.distinct_per_minute:,} lines a minute, each with a distinct {args.distinct_attr}",
            flush=True,
        )
        records = merged(records, hostile_records(spec, args.distinct_per_minute, args.distinct_attr))
    with tempfile.TemporaryDirectory(prefix="ccstream-memory-") as tmp:
        path = Path(tmp) / "batches.msgpack"
        batches = kcl_batches(records, args.batch_records, int(args.batch_mb * 2**20))
        n = write_batches(batches, path)
        del workload, records
        try:
            result = run_child(
                "benchmarks.memory", str(path), *(["--max-groups", str(args.max_groups)] if args.max_groups else [])
            )
        except ChildFailed as exc:
            return exc.returncode
    print(
        f"child processed {result['points']:,} points in {n} batches; rows in memory {result['rows_in_memory']}, "
        f"open user entries per window size {result['user_entries_open']}, "
        f"open signatures {result['signatures_open']:,}"
    )
    if result["limits"]:
        print(f"limits reached: {result['limits']}")
    print(f"RSS after the last batch of each minute (MB): {result['rss_mb_by_minute']}")
    print(
        f"RSS after imports: {result['baseline_rss_mb']} MB; after the run: {result['rss_mb']} MB; "
        f"peak: {result['peak_rss_mb']} MB (target ≤ {TARGET_MB} MB: "
        f"{'met' if result['peak_rss_mb'] <= TARGET_MB else 'NOT met'})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
