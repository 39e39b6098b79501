"""Freshness: time from PutLogEvents to the aggregate being readable through `ccstream query`, p50/p95.

    python -m benchmarks.freshness [--probes 30] [--idle-ms 1500] [--background-users 200]

On the embedded stack: moto served by hypercorn in this process, the streaming stack deployed by
`consumers.deploy.deployer.deploy` (log group, subscription filter → 2-shard stream, table, dead-letter bucket),
and the real KCL 2.5.8 MultiLangDaemon running `consumers.kcl.processor` with the default flush intervals. Each probe
is one EMF line with a unique `team.id`, sent with PutLogEvents; the clock starts just before the call and stops when
`query_metric` (what `ccstream query` runs) first returns that team's 1-minute row, polled every `--poll-ms`.
Probes are spaced by a random 0.5–2.5 s so they land at every phase of the KCL poll and the flush. Optional
background load: `--background-users` simulated users sending their lines for the current minute.

The KCL polls every `--idle-ms` (default 1,500 ms, the KCL 2.5.8 default; production keeps it). Not measured here:
CloudWatch Logs' own subscription delivery delay (moto delivers to Kinesis inside PutLogEvents), and AWS network
latency.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import random
import statistics
import threading
import time
import uuid
from typing import Any

import msgspec

from benchmarks.machine import command_line, machine_info
from benchmarks.stack import running_aggregator
from consumers.generate import Simulator, build_population
from consumers.generate.emf_writer import EmfWriter
from consumers.query.api import query_metric
from consumers.query.reader import DynamoRowReader
from consumers.replay.logs import put_emf_lines
from schemas.catalogue import COMMITS

TARGET_P95_S = 2.0
MINUTE_MS = 60_000


def probe_line(team: str, timestamp_ms: int) -> str:
    """The collector's line for one commit.count = 1 of a unique team (so its row is unambiguous); the collector
    model is proven against the real collector (tests/generate/test_collector_vs_writer.py)."""
    attrs = {"session.id": str(uuid.uuid4()), "team.id": team, "user.email": "freshness.probe@example.com"}
    return EmfWriter().line(timestamp_ms, attrs, {COMMITS: 1})


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile: the smallest value with at least q% of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))]


def wait_readable(reader: DynamoRowReader, team: str, ts_ms: int, poll_s: float, timeout_s: float) -> float | None:
    """Seconds until `team`'s 1m row is readable (monotonic clock), or None after `timeout_s`."""
    start = ts_ms - ts_ms % MINUTE_MS
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        rows = query_metric(reader, COMMITS, "1m", ("team.id",), start, start + MINUTE_MS)
        if any(r.labels.get("team.id") == team for r in rows):
            return time.monotonic()
        time.sleep(poll_s)
    return None


def background_load(logs: Any, group: str, users: int, stop: threading.Event) -> None:
    """Send `users` simulated users' lines for each current minute, spread over the minute."""
    sim = Simulator(build_population(users, 11), 11)
    while not stop.is_set():
        now = int(time.time() * 1000)
        lines = sim.step(now - now % MINUTE_MS)
        chunks = [lines[i::6] for i in range(6)]
        for chunk in chunks:
            if stop.wait(10):
                return
            with contextlib.suppress(Exception):  # background noise only; the probes measure
                put_emf_lines(
                    logs,
                    group,
                    None,
                    [msgspec.structs.replace(line, timestamp_ms=int(time.time() * 1000)) for line in chunk],
                )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--probes", type=int, default=30)
    parser.add_argument("--idle-ms", type=int, default=1500, help="KCL idleTimeBetweenReadsInMillis")
    parser.add_argument("--poll-ms", type=int, default=50, help="how often the query is retried")
    parser.add_argument("--background-users", type=int, default=0)
    parser.add_argument("--start-timeout-s", type=float, default=180.0)
    parser.add_argument("--endpoint-url", default=None, help="use a running emulator instead of an embedded one")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    print(machine_info().line())
    print(f"command: {command_line()}")
    rng = random.Random(args.seed)
    latencies: list[float] = []
    with running_aggregator("fresh", args.endpoint_url, idle_between_reads_ms=args.idle_ms) as stack:
        names, suffix = stack.names, stack.names.prefix.removeprefix("fresh")
        logs, reader = stack.aws.client("logs"), DynamoRowReader(stack.aws.client("dynamodb"), names.table)
        stop = threading.Event()
        noise: threading.Thread | None = None
        try:
            started = time.monotonic()
            print("waiting for the KCL to deliver a first probe …", flush=True)
            ts = int(time.time() * 1000)
            put_emf_lines(logs, names.log_group, "freshness-probe", [probe_line("warm-up", ts)])
            if wait_readable(reader, "warm-up", ts, 0.5, args.start_timeout_s) is None:
                raise SystemExit(
                    f"no aggregate after {args.start_timeout_s:.0f} s; see the logs in {stack.log_dir}: {stack.outcome}"
                )
            print(f"consumer running after {time.monotonic() - started:.0f} s", flush=True)
            if args.background_users:
                noise = threading.Thread(
                    target=background_load, args=(logs, names.log_group, args.background_users, stop), daemon=True
                )
                noise.start()
            for i in range(args.probes):
                time.sleep(rng.uniform(0.5, 2.5))
                team = f"probe-{suffix}-{i}"
                ts = int(time.time() * 1000)
                sent = time.monotonic()
                put_emf_lines(logs, names.log_group, "freshness-probe", [probe_line(team, ts)])
                seen = wait_readable(reader, team, ts, args.poll_ms / 1000, 60)
                if seen is None:
                    print(f"  probe {i}: not readable after 60 s")
                    continue
                latencies.append(seen - sent)
                print(f"  probe {i}: {seen - sent:.2f} s", flush=True)
        finally:
            stop.set()
            if noise is not None:
                noise.join(timeout=20)
    if not latencies:
        print("no probe became readable")
        return 1
    p50, p95 = statistics.median(latencies), percentile(latencies, 95)
    print(
        f"\nfreshness over {len(latencies)} probes (KCL idle {args.idle_ms} ms, flush 1 s, query polled every "
        f"{args.poll_ms} ms, background {args.background_users} users): p50 {p50:.2f} s, p95 {p95:.2f} s, "
        f"max {max(latencies):.2f} s (target p95 ≤ {TARGET_P95_S:g} s: {'met' if p95 <= TARGET_P95_S else 'NOT met'})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
