"""Kinesis records of REAL collector output for the benchmarks, built once and cached under `.cache/real-lines/`.

    python -m benchmarks.real_lines [--users 10000] [--minutes 10]      # build (or reuse) and describe the cache

Simulated developers' OTLP (`consumers.generate`: the CLI's exports, minute by minute) → the real collector
(`.cache/collector/otelcol-ccstream`, `collector/config.yaml`, awsemf) → CloudWatch Logs on a fresh embedded
emulator with the streaming stack deployed → its subscription filter → Kinesis → every record read back. Nothing
here writes an EMF line: the collector does. The capture is checked complete (every OTLP data point sent is a
metric value in exactly one line, no duplicate lines) and retried otherwise.

CloudWatch Logs refuses events older than 14 days, so the simulated span is the latest Wednesday 15:00 UTC (the
simulator's busiest hour) that ended before the capture; the cache file is keyed by users, minutes, seed and the
collector binary and config, not by that date, so a rerun reuses it whatever day it is.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

from consumers.model import SourceRecord

CACHE = Path(".cache") / "real-lines"
MINUTE_MS = 60_000
SHARD = "shardId-000000000000"


class RealLines(msgspec.Struct, frozen=True):
    """A capture: every Kinesis record the subscription wrote (`as_one_shard` orders them for one pipeline)."""

    users: int
    minutes: int
    seed: int
    start_ms: int
    otlp_requests: int
    points_sent: int
    lines: int
    line_bytes: int
    records: list[SourceRecord]

    def describe(self) -> str:
        start = datetime.fromtimestamp(self.start_ms / 1000, UTC).strftime("%a %Y-%m-%d %H:%M UTC")
        return (
            f"real collector output: {self.users:,} simulated developers, {self.minutes} min from {start}, "
            f"seed {self.seed}: {self.otlp_requests:,} OTLP requests, {self.points_sent:,} points → "
            f"{self.lines:,} EMF lines ({self.line_bytes / max(1, self.lines):,.0f} bytes each) in "
            f"{len(self.records):,} Kinesis records"
        )


def latest_peak_start(now_ms: int, minutes: int, lag_minutes: int = 3) -> int:
    """Start of the latest Wednesday 15:00 UTC span of `minutes` that ends `lag_minutes` before `now_ms`."""
    now = datetime.fromtimestamp(now_ms / 1000, UTC)
    day = now.replace(hour=15, minute=0, second=0, microsecond=0)
    day -= timedelta(days=(day.weekday() - 2) % 7)
    if day + timedelta(minutes=minutes + lag_minutes) > now:
        day -= timedelta(days=7)
    return int(day.timestamp() * 1000)


def _fingerprint(users: int, minutes: int, seed: int) -> str:
    """The capture's inputs: sizes, seed, and the collector binary and config by content (a rebuild that changes
    nothing keeps the cache)."""
    from consumers.collector.build import collector_binary, collector_config

    digest = hashlib.sha256(f"{users}/{minutes}/{seed}/".encode())
    with Path(collector_binary()).open("rb") as binary:
        for chunk in iter(lambda: binary.read(1 << 20), b""):
            digest.update(chunk)
    digest.update(Path(collector_config()).read_bytes())
    return digest.hexdigest()[:10]


def cache_path(users: int, minutes: int, seed: int, cache: Path = CACHE) -> Path:
    return cache / f"real-{users}u-{minutes}m-s{seed}-{_fingerprint(users, minutes, seed)}.msgpack"


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class IncompleteCapture(Exception):
    """awsemf dropped or duplicated a batch (a PutLogEvents that timed out or was retried): capture again."""


def _capture(users: int, minutes: int, seed: int, start_ms: int, workers: int) -> RealLines:
    from consumers.aws import AwsTarget
    from consumers.collector.process import free_port, start_collector
    from consumers.config import Names
    from consumers.deploy.deployer import deploy
    from consumers.emulator import EmbeddedEmulator
    from consumers.generate.collected import send_bodies
    from consumers.generate.otlp import requests_of
    from consumers.generate.simulator import simulate_exports

    names = Names()
    with EmbeddedEmulator() as emulator, tempfile.TemporaryDirectory(prefix="real-lines-") as tmp:
        target = AwsTarget(emulator.url, "us-east-1")
        deploy(target, names, ["streaming"])
        collector = start_collector(
            endpoint_url=emulator.url,
            region=target.region,
            http_port=free_port(),
            task_id="bench",
            metrics_log_group=names.log_group,
            events_log_group=f"{names.log_group}-events",
            log_file=Path(tmp) / "collector.log",
        )
        requests = points = 0
        try:
            for minute, exports in enumerate(simulate_exports(users, minutes, start_ms, seed)):
                bodies = list(requests_of(exports))
                requests += len(bodies)
                points += sum(body.count(b'"asDouble":') for body in bodies)
                send_bodies(collector.otlp_http_url, bodies, workers=workers)
                _say(f"  minute {minute + 1}/{minutes}: {len(bodies):,} requests sent ({points:,} points so far)")
        finally:
            collector.stop()  # flushes the batch processor and awsemf
        records = _read_stream(target.client("kinesis"), names.stream)
    return _checked(users, minutes, seed, start_ms, requests, points, records)


def _read_stream(kinesis: Any, stream: str) -> list[SourceRecord]:
    from consumers.generate.collected import shard_records

    return [
        SourceRecord(
            shard_id=shard_id,
            sequence_number=int(rec["SequenceNumber"]),
            sub_sequence_number=0,
            partition_key=rec["PartitionKey"],
            data=rec["Data"],
            arrival_ms=int(rec["ApproximateArrivalTimestamp"].timestamp() * 1000),
        )
        for shard_id, rec in shard_records(kinesis, stream)
    ]


def _checked(
    users: int, minutes: int, seed: int, start_ms: int, requests: int, points: int, records: list[SourceRecord]
) -> RealLines:
    """Count what the collector wrote, independently of the consumer's decoders (stdlib gzip + msgspec dicts)."""
    import gzip

    messages: list[str] = []
    for rec in records:
        envelope = msgspec.json.decode(gzip.decompress(rec.data))
        if envelope.get("messageType") == "DATA_MESSAGE":
            messages += [e["message"] for e in envelope["logEvents"]]
    written = sum(1 for m in messages for key in msgspec.json.decode(m) if key.startswith("claude_code."))
    duplicates = len(messages) - len(set(messages))
    if written != points or duplicates:
        raise IncompleteCapture(f"sent {points:,} points, the collector wrote {written:,} ({duplicates} duplicates)")
    return RealLines(
        users=users,
        minutes=minutes,
        seed=seed,
        start_ms=start_ms,
        otlp_requests=requests,
        points_sent=points,
        lines=len(messages),
        line_bytes=sum(len(m.encode()) for m in messages),
        records=records,
    )


def as_one_shard(captured: RealLines) -> RealLines:
    """The records of every shard as one shard would hold them: in arrival order, with increasing sequence numbers
    (each shard numbers its own records, and a pipeline skips a position at or below one it has seen)."""
    ordered = sorted(captured.records, key=lambda r: (r.arrival_ms, r.shard_id, r.sequence_number))
    base = 49_000_000_000 * 10**45
    records = [
        SourceRecord(SHARD, base + i, 0, r.partition_key, r.data, r.arrival_ms) for i, r in enumerate(ordered, 1)
    ]
    return msgspec.structs.replace(captured, records=records)


def real_lines(users: int, minutes: int, seed: int = 7, cache: Path = CACHE, workers: int = 4) -> RealLines:
    """The cached capture for (users, minutes, seed) as one shard, captured through the real collector when
    missing (the cache keeps each record's own shard and sequence number)."""
    path = cache_path(users, minutes, seed, cache)
    if path.is_file():
        return as_one_shard(msgspec.msgpack.decode(path.read_bytes(), type=RealLines))
    start_ms = latest_peak_start(int(time.time() * 1000), minutes)
    for attempt in range(1, 4):
        _say(f"capturing {users:,} developers × {minutes} min through the real collector (attempt {attempt}) …")
        started = time.monotonic()
        try:
            captured = _capture(users, minutes, seed, start_ms, workers)
        except IncompleteCapture as exc:
            _say(f"  {exc}")
            continue
        _say(f"  captured in {time.monotonic() - started:.0f} s")
        cache.mkdir(parents=True, exist_ok=True)
        path.write_bytes(msgspec.msgpack.encode(captured))
        return as_one_shard(captured)
    raise IncompleteCapture("three captures in a row were incomplete")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cache-dir", type=Path, default=CACHE)
    args = parser.parse_args(argv)
    lines = real_lines(args.users, args.minutes, args.seed, args.cache_dir)
    print(lines.describe())
    print(f"cache: {cache_path(args.users, args.minutes, args.seed, args.cache_dir)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
