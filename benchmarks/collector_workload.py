"""Benchmark input written by the REAL collector: simulated developers' OTLP → `otelcol-ccstream` (awsemf) → lines.

    python -m benchmarks.collector_workload --users 10000 --minutes 10     # capture (or reuse) and describe

The simulator's exports (`consumers.generate`) are encoded as the OTLP/HTTP JSON the CLI sends and posted to the
collector built from `collector/` with `collector/config.yaml`, which writes awsemf lines into CloudWatch Logs on an
embedded emulator; the lines are read back and packed into subscription records exactly as `benchmarks.workload`
packs the simulator's own lines (`consumers.generate.pack`: one log stream per delivery, ≤ 500 events or 60 s).
So every byte the consumer benchmarks read was written by awsemf, not by our EMF writer.

CloudWatch Logs refuses events older than 14 days, so the simulated span (the simulator's workday peak, as in
`benchmarks.workload`) is shifted by whole minutes to end a few minutes before the capture. Captures take minutes
(10,000 developers × 10 minutes ≈ 1–2 min on 2 cores) and are cached in `.cache/workloads/` (ignored), keyed by the
spec, `collector/config.yaml` and the collector binary's SHA-256.

The embedded emulator sometimes stores a PutLogEvents batch and then loses the connection before awsemf has read
the 200 answer ("deserialization failed ... use of closed network connection" in the collector log); the AWS SDK
then sends the batch again, so those lines are stored twice. Every line of one (labels, timestamp) group is
written once by awsemf, so repeated lines are such re-sends: only the first of each is kept, and a capture whose
distinct lines do not carry exactly the points sent is refused and taken again.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec

from benchmarks.workload import MINUTE_MS, PEAK_START_MS, Volume, Workload, WorkloadSpec, shard_records
from consumers.generate import SimulationOptions
from consumers.generate.lines import EmfLine
from consumers.generate.otlp import requests_of
from consumers.generate.simulator import Export, simulate_exports

ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = ROOT / ".cache" / "workloads"
LOG_GROUP = "/aws/claude-code/metrics"
#: The captured span ends this many whole minutes before the capture (CloudWatch Logs' 14-day window).
END_LAG_MINUTES = 5
SEND_WORKERS = 2
SEND_TIMEOUT_S = 120.0
COLLECTOR_OVERRIDES: tuple[str, ...] = ()
ATTEMPTS = 3

_encode_lines = msgspec.json.Encoder().encode
_decode_line = msgspec.json.Decoder(tuple[str, int, str]).decode


class IncompleteCapture(Exception):
    """The collector wrote a different number of points than were sent (awsemf dropped or re-wrote a batch)."""


def cache_key(spec: WorkloadSpec) -> str:
    """What a cached capture depends on: the spec, the collector's config and its binary."""
    from consumers.collector.build import collector_binary, collector_config

    h = hashlib.sha256()
    h.update(repr((spec.users, spec.minutes, spec.seed, spec.all_active)).encode())
    h.update(Path(collector_config()).read_bytes())
    with collector_binary(None).open("rb") as f:  # a rebuild to the same bytes keeps the capture
        h.update(hashlib.file_digest(f, "sha256").digest())
    return h.hexdigest()[:16]


def cache_path(spec: WorkloadSpec, cache_dir: Path = CACHE_DIR) -> Path:
    load = "-active" if spec.all_active else ""
    name = f"collector-{spec.users}u-{spec.minutes}m-s{spec.seed}{load}-{cache_key(spec)}.ndjson.gz"
    return cache_dir / name


def _shifted(minutes: Iterator[list[Export]], shift_ms: int) -> Iterator[list[Export]]:
    for exports in minutes:
        yield [dataclasses.replace(e, timestamp_ms=e.timestamp_ms + shift_ms) for e in exports]


def capture(spec: WorkloadSpec, log_file: Path, log_group: str = LOG_GROUP) -> tuple[list[EmfLine], int]:
    """Run the collector against a fresh embedded emulator; the lines it wrote and the points sent."""
    from consumers.aws import AwsTarget
    from consumers.collector.process import free_port, start_collector
    from consumers.emulator import EmbeddedEmulator
    from consumers.generate.collected import log_events
    from consumers.generate.sender import OtlpSender

    now_ms = int(time.time() * 1000)
    start_ms = now_ms - now_ms % MINUTE_MS - (spec.minutes + END_LAG_MINUTES) * MINUTE_MS
    options: SimulationOptions | None = spec.options()
    minutes = simulate_exports(spec.users, spec.minutes, spec.start_ms, spec.seed, options)
    sent = 0
    with EmbeddedEmulator() as emulator:
        target = AwsTarget(emulator.url, "us-east-1")
        logs = target.client("logs")
        logs.create_log_group(logGroupName=log_group)  # moto's state lives as long as the process: a new name
        collector = start_collector(
            endpoint_url=emulator.url,
            region="us-east-1",
            http_port=free_port(),
            task_id="bench",
            metrics_log_group=log_group,
            log_file=log_file,
            config_overrides=COLLECTOR_OVERRIDES,
        )
        # A long timeout: a request the collector was slow to answer (its exporter waits on the emulator) and the
        # sender then re-sent would be written twice.
        sender = OtlpSender(collector.otlp_http_url, timeout_s=SEND_TIMEOUT_S)
        try:
            for exports in _shifted(minutes, start_ms - spec.start_ms):
                bodies = list(requests_of(exports))
                sent += sum(body.count(b'"asDouble":') for body in bodies)
                sender.send_all(bodies, workers=SEND_WORKERS)
        finally:
            sender.close()
            collector.stop()  # flushes the batch processor and awsemf
        if sender.stats.retries:
            print(f"the sender retried {sender.stats.retries} requests", flush=True)
        events = log_events(logs, log_group)
    lines = [EmfLine(e.timestamp_ms, e.log_stream, e.message) for e in events]
    lines.sort(key=lambda e: e.timestamp_ms)  # stable: per stream, in stored order
    return lines, sent


def _points_written(lines: list[EmfLine]) -> int:
    return sum(line.line.count('"claude_code.') for line in lines) // 2  # declared once, valued once


def collector_lines(spec: WorkloadSpec, cache_dir: Path = CACHE_DIR, log: bool = True) -> list[EmfLine]:
    """The spec's lines as the real collector wrote them (from the cache when it holds this capture)."""
    path = cache_path(spec, cache_dir)
    if path.exists():
        with gzip.open(path, "rb") as f:
            return [EmfLine(ts, stream, line) for stream, ts, line in map(_decode_line, f)]
    for attempt in range(1, ATTEMPTS + 1):
        started = time.monotonic()
        cache_dir.mkdir(parents=True, exist_ok=True)
        written_lines, sent = capture(spec, cache_dir / "collector.log", f"{LOG_GROUP}-{attempt}")
        lines = list({line.line: line for line in written_lines}.values())  # first of each, in stored order
        written = _points_written(lines)
        if log:
            print(
                f"capture {attempt}: {sent:,} points sent, {written:,} written in {len(lines):,} distinct lines "
                f"(+{len(written_lines) - len(lines)} repeated), {time.monotonic() - started:.0f} s",
                flush=True,
            )
        if written == sent:
            break
    else:
        raise IncompleteCapture(f"{ATTEMPTS} captures lost points; see the lines above")
    partial = path.with_suffix(".tmp")
    with gzip.open(partial, "wb", compresslevel=3) as f:
        for line in lines:
            f.write(_encode_lines((line.log_stream, line.timestamp_ms, line.line)) + b"\n")
    partial.rename(path)
    return lines


def collector_workload(spec: WorkloadSpec, cache_dir: Path = CACHE_DIR) -> Workload:
    """The spec's real collector lines packed into subscription records over `spec.shards` shards (the same
    `Workload` shape as `benchmarks.workload.build_workload`)."""
    lines = collector_lines(spec, cache_dir)
    volume = Volume()
    for line in lines:
        volume.add_line(line)
    records = shard_records(lines, spec.shards, volume)
    return Workload(spec, records, volume)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--all-active", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    spec = WorkloadSpec(args.users, args.minutes, PEAK_START_MS, args.seed, shards=1, all_active=args.all_active)
    workload = collector_workload(spec)
    v = workload.volume
    print(f"{cache_path(spec)}")
    print(
        f"{v.points:,} points in {v.log_events:,} lines ({v.emf_bytes / max(1, v.log_events):,.0f} bytes each), "
        f"{v.data_records:,} data records ({v.record_bytes / max(1, v.data_records) / 1024:.1f} KB gzip'd)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
