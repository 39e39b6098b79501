"""Load at 10× the 10,000-developer rate: does the consumer keep up (bounded lag) in bounded memory?

    python -m benchmarks.load [--users 10000] [--times 10] [--minutes 5] [--shards 8] [--emulator-seconds 10]

Two parts, both on this machine only (loopback) and both stopping by themselves:

1. **The emulator's limits, measured.** The embedded emulator (moto behind hypercorn, in this process, as
   `ccstream up` runs it) takes real-size subscription records with PutRecords, gives them back with GetRecords,
   and takes real row items with PutItem, each for `--emulator-seconds`. These rates are compared with what the
   10× load needs; when they fall short, an end-to-end run through the emulator cannot show anything about the
   consumer, so part 2 simulates instead.
2. **Simulation with measured service times.** The load: `--users` simulated developers, every one exporting
   every minute (the benchmarks' peak), replicated `--times` times under distinct identities (user.id, user.email,
   session.id), packed into subscription records and spread over `--shards` shards as CloudWatch Logs' `Random`
   distribution does. Each shard runs in its own child process (the KCL runs one record processor per shard) with
   the real `ShardPipeline` and production settings; rows are encoded for DynamoDB and dropped (`DroppingRowStores`
   of benchmarks/memory.py, so DynamoDB's latency is not in the figure). The clock is simulated: a poll every
   1.5 s (the KCL's default) takes what arrived (≤ 10,000 records, ≤ 10 MB) once the processor is free, and the
   processor is then busy for the CPU time `process` + `flush` really took here. Lag = completion − arrival of a
   record. Reported per shard: CPU seconds per simulated minute (utilisation: < 1 keeps up), lag p50/p99/max in
   the first and the last simulated minute (bounded = the last is no worse than the first), and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.machine import command_line, machine_info
from benchmarks.memory import (
    ChildFailed,
    DroppingRowStores,
    peak_rss_mb,
    read_batches,
    rss_mb,
    run_child,
    write_batches,
)
from benchmarks.workload import MINUTE_MS, Volume, WorkloadSpec, shard_name, simulated_lines
from consumers.generate import pack
from consumers.generate.capture import shard_of
from consumers.generate.lines import EmfLine
from consumers.model import SourceRecord
from schemas.envelope import encode_envelope

_IDENTITY = re.compile(r'"(user\.email|user\.id|session\.id)":"([^"\\]*)"')


def replicated(spec: WorkloadSpec, times: int) -> Iterator[EmfLine]:
    """Every simulated line `times` times, copy k with identities suffixed `~k` (distinct people and sessions)."""
    for line in simulated_lines(spec, Volume()):
        yield line
        for k in range(1, times):
            text = _IDENTITY.sub(lambda m, k=k: f'"{m[1]}":"{m[2]}~{k}"', line.line)  # type: ignore[misc]
            yield EmfLine(line.timestamp_ms, line.log_stream, text)


def build_shards(spec: WorkloadSpec, times: int) -> tuple[dict[str, list[SourceRecord]], int]:
    records: dict[str, list[SourceRecord]] = {shard_name(i): [] for i in range(spec.shards)}
    lines = 0

    def counted() -> Iterator[EmfLine]:
        nonlocal lines
        for line in replicated(spec, times):
            lines += 1
            yield line

    for packed in pack(counted()):
        index = shard_of(packed.partition_key, spec.shards)
        shard = shard_name(index)
        seq = 49 * 10**54 + len(records[shard])
        data = encode_envelope(packed.envelope)
        records[shard].append(SourceRecord(shard, seq, 0, packed.partition_key, data, packed.arrival_ms))
    return records, lines


# ------------------------------------------------------------------------------------------ one shard (child)
def simulate_shard(path: Path) -> dict[str, object]:
    """Run in a child: one shard's records through a real pipeline on a clock moved by measured CPU time."""
    import gc

    import consumers.kcl.processor  # noqa: F401  (what the real processor process has loaded)
    from benchmarks.kcl_sim import KCL_IDLE_BETWEEN_READS_MS, SimClock, poll_end
    from consumers.pipeline import ShardPipeline

    records = [r for batch in read_batches(path) for r in batch]
    gc.collect()
    baseline = rss_mb()
    stores = DroppingRowStores()
    clock = SimClock(records[0].arrival_ms)
    pipeline = ShardPipeline("load", records[0].shard_id, stores.stores(), clock_ms=clock)
    lags: list[tuple[int, int]] = []  # (arrival, lag ms)
    poll_ms = KCL_IDLE_BETWEEN_READS_MS
    busy_ms = 0.0
    now = records[0].arrival_ms
    i = 0
    while i < len(records):
        if records[i].arrival_ms > now:
            now = max(now + poll_ms, records[i].arrival_ms - (records[i].arrival_ms - now) % poll_ms)
        start = i
        i = poll_end(records, start, now)
        if i == start:
            continue
        clock.now_ms = now
        t0 = time.process_time()
        pipeline.process(records[start:i])
        snapshot = pipeline.flush()
        if snapshot is not None:
            pipeline.remember_checkpoint(snapshot)
        cost = (time.process_time() - t0) * 1000
        busy_ms += cost
        done = now + cost
        lags += [(r.arrival_ms, int(done - r.arrival_ms)) for r in records[start:i]]
        now = int(done) + poll_ms  # the next GetRecords follows processRecords' return
    span_ms = records[-1].arrival_ms - records[0].arrival_ms + MINUTE_MS
    first_minute = records[0].arrival_ms + MINUTE_MS
    last_minute = records[-1].arrival_ms - MINUTE_MS

    def pct(values: list[int]) -> dict[str, float]:
        values = sorted(values)
        if not values:
            return {}
        return {
            "p50_s": values[len(values) // 2] / 1000,
            "p99_s": values[min(len(values) - 1, len(values) * 99 // 100)] / 1000,
            "max_s": values[-1] / 1000,
        }

    return {
        "records": len(records),
        "points": pipeline.counters.values.get("points", 0),
        "cpu_s_per_minute": round(busy_ms / 1000 / (span_ms / MINUTE_MS), 2),
        "utilisation": round(busy_ms / span_ms, 3),
        "lag_first_minute": pct([lag for a, lag in lags if a < first_minute]),
        "lag_last_minute": pct([lag for a, lag in lags if a >= last_minute]),
        "rows_written_per_minute": round(stores.rows_written / (span_ms / MINUTE_MS)),
        "baseline_rss_mb": round(baseline, 1),
        "peak_rss_mb": round(max(rss_mb(), peak_rss_mb()), 1),
        "users_open_1d": sum(len(getattr(r.partial, "users", ())) for k, r in pipeline.rows.items() if k.size == "1d"),
    }


# ------------------------------------------------------------------------------------------ the emulator's limits
def put_batch(sample: list[SourceRecord], start: int) -> list[SourceRecord]:
    """The next PutRecords call's records from `sample` (cycling): at most 500 records and 5 MB, Kinesis' limits."""
    out: list[SourceRecord] = []
    size = 0
    while len(out) < 500:
        r = sample[(start + len(out)) % len(sample)]
        if size + len(r.data) + len(r.partition_key) > 5_000_000:
            break
        out.append(r)
        size += len(r.data) + len(r.partition_key)
    return out


def emulator_limits(seconds: float, sample: list[SourceRecord]) -> dict[str, float]:
    """Records/s and MB/s the embedded emulator takes with PutRecords and gives with GetRecords; items/s PutItem."""
    from consumers.aws import AwsTarget
    from consumers.ddb import to_ddb
    from consumers.emulator import EmbeddedEmulator
    from consumers.model import RowKey
    from consumers.sink.rows import row_item
    from tests.core.tables import create_metrics_table

    out: dict[str, float] = {}
    with EmbeddedEmulator() as emu:
        aws = AwsTarget(emu.url, "us-east-1")
        kinesis = aws.client("kinesis")
        kinesis.create_stream(StreamName="load", ShardCount=1)
        kinesis.get_waiter("stream_exists").wait(StreamName="load")
        sent = sent_bytes = 0
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            batch = put_batch(sample, sent)
            kinesis.put_records(
                StreamName="load", Records=[{"Data": r.data, "PartitionKey": r.partition_key} for r in batch]
            )
            sent += len(batch)
            sent_bytes += sum(len(r.data) for r in batch)
        elapsed = time.monotonic() - t0
        out["put_records_per_s"] = sent / elapsed
        out["put_mb_per_s"] = sent_bytes / elapsed / 1e6
        shard = kinesis.list_shards(StreamName="load")["Shards"][0]["ShardId"]
        it = kinesis.get_shard_iterator(StreamName="load", ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        iterator, got = it["ShardIterator"], 0
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds and iterator and got < sent:
            page = kinesis.get_records(ShardIterator=iterator, Limit=10_000)
            got += len(page["Records"])
            iterator = page.get("NextShardIterator")
        out["get_records_per_s"] = got / (time.monotonic() - t0)
        ddb = aws.client("dynamodb")
        create_metrics_table(ddb, "load")
        doc: dict[str, object] = {
            "users": {f"user-{i}@example.com": [{"claude_code.commit.count": 1.0}, [f"s{i}"]] for i in range(100)}
        }
        items = 0
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            key = RowKey("U", "1m", 1_763_683_200_000 + items * MINUTE_MS, items % 16)
            item = row_item("shardId-0", key, (items, 0), doc, 0, False, 16)
            ddb.put_item(TableName="load", Item=to_ddb(item))
            items += 1
        out["put_item_per_s"] = items / (time.monotonic() - t0)
        out["log_events_per_s"] = _put_log_events_rate(aws, seconds, sample)
    return out


def _put_log_events_rate(aws: Any, seconds: float, sample: list[SourceRecord]) -> float:
    """Log events/s the emulator takes with PutLogEvents into a group subscribed to a Kinesis stream (the path
    the collector's lines take), in batches of ≤ 10,000 events and ≤ 1 MB."""
    from schemas.envelope import decode_envelope

    logs, kinesis = aws.client("logs"), aws.client("kinesis")
    kinesis.create_stream(StreamName="load-logs", ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName="load-logs")
    arn = kinesis.describe_stream_summary(StreamName="load-logs")["StreamDescriptionSummary"]["StreamARN"]
    logs.create_log_group(logGroupName="/load")
    logs.create_log_stream(logGroupName="/load", logStreamName="s")
    logs.put_subscription_filter(
        logGroupName="/load",
        filterName="f",
        filterPattern="",
        destinationArn=arn,
        roleArn="arn:aws:iam::123456789012:role/load",
    )
    messages = [ev.message for r in sample[:50] for ev in decode_envelope(r.data).log_events]
    sent = 0
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        batch: list[dict[str, Any]] = []
        size = 0
        while len(batch) < 10_000 and size < 900_000:
            message = messages[(sent + len(batch)) % len(messages)]
            batch.append({"timestamp": int(time.time() * 1000), "message": message})
            size += len(message) + 26
        logs.put_log_events(logGroupName="/load", logStreamName="s", logEvents=batch)
        sent += len(batch)
    return sent / (time.monotonic() - t0)


def _max_lag(stats: object) -> float:
    return float(stats.get("max_s", 0.0)) if isinstance(stats, dict) else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--times", type=int, default=10, help="the load is this many times the users' rate")
    parser.add_argument("--minutes", type=int, default=5)
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--emulator-seconds", type=float, default=10.0, help="0 = skip measuring the emulator")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(simulate_shard(args.child)))
        return 0

    print(machine_info().line())
    print(f"command: {command_line()}")
    spec = WorkloadSpec(args.users, args.minutes, seed=args.seed, shards=args.shards, all_active=True)
    limits: dict[str, float] | None = None
    if args.emulator_seconds:
        small = WorkloadSpec(min(args.users, 1_000), 1, seed=args.seed, shards=1, all_active=True)
        sample = build_shards(small, min(args.times, 2))[0][shard_name(0)]
        limits = emulator_limits(args.emulator_seconds, sample)
        print(
            f"embedded emulator (moto behind hypercorn in this process, loopback), {args.emulator_seconds:g} s each, "
            f"records of {sum(len(r.data) for r in sample) / len(sample) / 1e3:.0f} KB: PutRecords "
            f"{limits['put_records_per_s']:,.0f} records/s ({limits['put_mb_per_s']:.2f} MB/s), GetRecords "
            f"{limits['get_records_per_s']:,.0f} records/s, PutItem {limits['put_item_per_s']:,.0f} items/s, "
            f"PutLogEvents into a subscribed group {limits['log_events_per_s']:,.0f} log events/s",
            flush=True,
        )
    print(f"load: {args.times}× ({spec.describe()}), identities replicated {args.times}×  … generating", flush=True)
    t0 = time.monotonic()
    shards, lines = build_shards(spec, args.times)
    n_records = sum(len(r) for r in shards.values())
    n_bytes = sum(len(x.data) for r in shards.values() for x in r)
    per_s = lines / (args.minutes * 60)
    print(
        f"generated in {time.monotonic() - t0:.0f} s: {lines:,} lines ({per_s:,.0f}/s), {n_records:,} records "
        f"({n_records / (args.minutes * 60):,.1f}/s, {n_bytes / (args.minutes * 60) / 1e6:.2f} MB/s gzip'd) "
        f"over {args.shards} shards",
        flush=True,
    )
    if limits is not None:
        need_mb = n_bytes / (args.minutes * 60) / 1e6
        events = lines / (args.minutes * 60)
        ratio = events / limits["log_events_per_s"]
        verdict = (
            "more than the emulator takes even alone: an end-to-end run would measure the emulator"
            if ratio > 1
            else "within what the emulator takes alone, but not with the collector, the consumer and the generator "
            "on the same 2 cores"
        )
        print(
            f"the load needs {events:,.0f} log events/s through CloudWatch Logs ({ratio:.1f}× the emulator's rate) "
            f"and {n_records / (args.minutes * 60):,.1f} records/s ({need_mb:.2f} MB/s) through Kinesis: {verdict}; "
            "simulated below",
            flush=True,
        )
    results = {}
    with tempfile.TemporaryDirectory(prefix="ccstream-load-") as tmp:
        for shard, recs in shards.items():
            path = Path(tmp) / f"{shard}.msgpack"
            write_batches(iter([recs]), path)
        del shards
        for path in sorted(Path(tmp).glob("*.msgpack")):
            try:
                results[path.stem] = run_child("benchmarks.load", str(path))
            except ChildFailed as exc:
                return exc.returncode
            r = results[path.stem]
            print(
                f"{path.stem}: {r['records']:,} records, {r['points']:,} points; CPU {r['cpu_s_per_minute']} s per "
                f"minute (utilisation {r['utilisation']}); lag first minute {r['lag_first_minute']}, last minute "
                f"{r['lag_last_minute']}; {r['rows_written_per_minute']:,} rows written/min; "
                f"{r['users_open_1d']:,} users in open 1d rows; "
                f"RSS {r['baseline_rss_mb']} → peak {r['peak_rss_mb']} MB",
                flush=True,
            )
    worst = max(results.values(), key=lambda r: float(r["utilisation"]))
    bounded = all(
        _max_lag(r["lag_last_minute"]) <= max(2 * _max_lag(r["lag_first_minute"]), 5.0) for r in results.values()
    )
    print(
        f"worst shard utilisation {worst['utilisation']} (< 1 keeps up; one vCPU carries "
        f"{1 / max(float(worst['utilisation']), 1e-3):.1f} such shards); "
        f"lag {'bounded' if bounded else 'GROWING'}; peak RSS per "
        f"processor ≤ {max(float(r['peak_rss_mb']) for r in results.values())} MB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
