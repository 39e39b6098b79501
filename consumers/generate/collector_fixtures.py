"""Capture the `collector.*` fixtures from the real collector: `python -m consumers.generate.collector_fixtures`.

Simulated developers' OTLP (`collector.otlp.jsonl`, the input) → the real collector (`consumers/collector`,
awsemf) → CloudWatch Logs on a fresh embedded emulator with the streaming stack deployed → its subscription filter
→ Kinesis. Written: the log events awsemf wrote (`collector.emf.ndjson`, one message per line) and every Kinesis
record of the stream (`collector.kinesis.jsonl`, as `get-records` prints them). CloudWatch Logs takes no events
older than 14 days, so the simulated span ends at the capture time; the files are captures, not reproducible byte
for byte (arrival times, sequence numbers, event ids), which is why there is no `--check`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import msgspec

from consumers.aws import AwsTarget
from consumers.config import Names
from consumers.generate.capture import encode_captured
from consumers.generate.collected import kinesis_records, log_events, send_bodies
from consumers.generate.fixtures import DEFAULT_DIR
from consumers.generate.otlp import requests_of
from consumers.generate.simulator import SimulationOptions, simulate_exports

MINUTE_MS = 60_000
PREFIX = "collector"


@dataclass(frozen=True)
class CaptureSpec:
    users: int = 8
    minutes: int = 5
    seed: int = 30
    activity_scale: float = 1.5
    commit_chance: float = 0.4  # high, so a few minutes hold commits and pull requests (all 8 metrics)
    pull_request_chance: float = 0.6
    end_lag_minutes: int = 3  # the span ends this many whole minutes before the capture
    flush_wait_s: float = 2.5  # > the collector's batch timeout (1 s)


@dataclass(frozen=True)
class Captured:
    start_ms: int
    otlp: list[bytes]
    emf: list[str]
    kinesis: list[bytes]
    log_streams: list[str]


def capture_through_collector(target: AwsTarget, names: Names, spec: CaptureSpec, log_file: Path) -> Captured:
    """Deploy the streaming stack, run the collector against it, send the OTLP, read back logs and Kinesis."""
    from consumers.collector.process import start_collector
    from consumers.deploy.deployer import deploy
    from consumers.emulator.server import free_port

    deploy(target, names, ["streaming"])
    now_ms = int(time.time() * 1000)
    start_ms = now_ms - now_ms % MINUTE_MS - (spec.minutes + spec.end_lag_minutes) * MINUTE_MS
    options = SimulationOptions(
        activity_scale=spec.activity_scale,
        commit_chance=spec.commit_chance,
        pull_request_chance=spec.pull_request_chance,
    )
    minutes = [
        list(requests_of(batch)) for batch in simulate_exports(spec.users, spec.minutes, start_ms, spec.seed, options)
    ]
    collector = start_collector(
        endpoint_url=str(target.endpoint_url),
        region=target.region,
        http_port=free_port(),
        task_id="fixture",
        metrics_log_group=names.log_group,
        events_log_group=names.log_group.rsplit("/", 1)[0] + "/events",
        log_file=log_file,
    )
    try:
        for bodies in minutes:  # one simulated minute per batch-processor flush, so one PutLogEvents each
            send_bodies(collector.otlp_http_url, bodies)
            time.sleep(spec.flush_wait_s)
    finally:
        collector.stop()  # flushes the batch processor and awsemf
    events = log_events(target.client("logs"), names.log_group)
    _check_complete(minutes, [e.message for e in events])
    records = kinesis_records(target.client("kinesis"), names.stream)
    return Captured(
        start_ms=start_ms,
        otlp=[body for bodies in minutes for body in bodies],
        emf=[e.message for e in events],
        kinesis=[encode_captured(r) for r in records],
        log_streams=sorted({e.log_stream for e in events}),
    )


class IncompleteCapture(Exception):
    """The collector lost or duplicated lines (awsemf drops a batch whose PutLogEvents timed out, and a retried
    PutLogEvents that the emulator had already stored writes its events twice); capture again."""


def _check_complete(minutes: list[list[bytes]], messages: list[str]) -> None:
    sent = sum(body.count(b'"asDouble":') for bodies in minutes for body in bodies)
    written = sum(1 for m in messages for key in msgspec.json.decode(m) if key.startswith("claude_code."))
    duplicates = len(messages) - len(set(messages))
    if written != sent or duplicates:
        raise IncompleteCapture(f"sent {sent} points, the collector wrote {written} ({duplicates} duplicate lines)")


def write_capture(captured: Captured, folder: Path, prefix: str = PREFIX) -> dict[str, int]:
    """Write the three files; returns file name → bytes."""
    files = {
        f"{prefix}.otlp.jsonl": b"".join(body + b"\n" for body in captured.otlp),
        f"{prefix}.emf.ndjson": "".join(line + "\n" for line in captured.emf).encode(),
        f"{prefix}.kinesis.jsonl": b"".join(rec + b"\n" for rec in captured.kinesis),
    }
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return {name: len(content) for name, content in files.items()}


def main(argv: list[str] | None = None) -> int:
    from consumers.emulator import EmbeddedEmulator

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="fixture folder (default: tests/fixtures)")
    args = parser.parse_args(argv)
    spec = CaptureSpec()
    for attempt in range(1, 4):
        with EmbeddedEmulator() as emulator, tempfile.TemporaryDirectory() as tmp:
            target = AwsTarget(emulator.url, "us-east-1")
            try:
                captured = capture_through_collector(target, Names(), spec, Path(tmp) / "collector.log")
                break
            except IncompleteCapture as exc:
                print(f"attempt {attempt}: {exc}", file=sys.stderr)
    else:
        return 1
    sizes = write_capture(captured, args.dir)
    print(
        f"{spec} from {captured.start_ms}: {len(captured.otlp)} OTLP requests, {len(captured.emf)} EMF lines in"
        f" {captured.log_streams}, {len(captured.kinesis)} Kinesis records",
        file=sys.stderr,
    )
    for name, size in sizes.items():
        print(f"wrote {args.dir / name} ({size:,} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
