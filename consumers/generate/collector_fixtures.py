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
import gzip
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
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS


@dataclass(frozen=True)
class CaptureSpec:
    prefix: str
    users: int
    minutes: int
    seed: int
    activity_scale: float
    commit_chance: float = 0.05
    pull_request_chance: float = 0.3
    #: None: the span ends `end_lag_minutes` whole minutes before the capture. Else it starts at this minute of a UTC
    #: day, the latest day that leaves the whole span in the past (CloudWatch Logs takes nothing older than 14 days).
    utc_start_minute: int | None = None
    end_lag_minutes: int = 3
    #: Simulated minutes POSTed between two waits (each wait > the batch timeout, so one PutLogEvents per group).
    minutes_per_send: int = 1
    flush_wait_s: float = 2.5  # > the collector's batch timeout (1 s)
    #: (first minute, minutes) of the span whose log events also go to `<prefix>.emf.ndjson`; None = all of them.
    emf_window: tuple[int, int] | None = None
    gzip_otlp: bool = False
    #: A fixed start (epoch ms) instead of one computed from the capture time (`ccstream generate --via collector`).
    start_at_ms: int | None = None

    def start_ms(self, now_ms: int) -> int:
        if self.start_at_ms is not None:
            return self.start_at_ms
        latest = now_ms - now_ms % MINUTE_MS - (self.minutes + self.end_lag_minutes) * MINUTE_MS
        if self.utc_start_minute is None:
            return latest
        offset = self.utc_start_minute * MINUTE_MS
        return (latest - offset) // DAY_MS * DAY_MS + offset

    def emf_range_ms(self, start_ms: int) -> tuple[int, int]:
        first, count = self.emf_window or (0, self.minutes)
        return start_ms + first * MINUTE_MS, start_ms + (first + count) * MINUTE_MS


#: 12 developers, 5 minutes from 17:32 UTC, busy enough that every metric appears (commits and pull requests likely).
COLLECTOR = CaptureSpec(
    "collector", 12, 5, 30, 4.0, commit_chance=0.4, pull_request_chance=0.6, utc_start_minute=17 * 60 + 32
)
#: A quiet team of 16 across UTC midnight, 22:00 → 02:00; the EMF file holds 23:57 → 00:03.
MIDNIGHT = CaptureSpec(
    "midnight", 16, 240, 5, 0.3, utc_start_minute=22 * 60, minutes_per_send=10, emf_window=(117, 6), gzip_otlp=True
)
SPECS = {spec.prefix: spec for spec in (COLLECTOR, MIDNIGHT)}


@dataclass(frozen=True)
class Captured:
    spec: CaptureSpec
    start_ms: int
    otlp: list[bytes]
    emf: list[str]
    emf_window: list[str]
    kinesis: list[bytes]
    log_streams: list[str]


def capture_through_collector(target: AwsTarget, names: Names, spec: CaptureSpec, log_file: Path) -> Captured:
    """Deploy the streaming stack, run the collector against it, send the OTLP, read back logs and Kinesis."""
    from consumers.collector.process import start_collector
    from consumers.deploy.deployer import deploy
    from consumers.emulator.server import free_port

    deploy(target, names, ["streaming"])
    start_ms = spec.start_ms(int(time.time() * 1000))
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
        task_id=spec.prefix,
        metrics_log_group=names.log_group,
        events_log_group=names.log_group.rsplit("/", 1)[0] + "/events",
        log_file=log_file,
    )
    try:
        for i in range(0, len(minutes), spec.minutes_per_send):  # one batch-processor flush (one PutLogEvents) each
            group = minutes[i : i + spec.minutes_per_send]
            send_bodies(collector.otlp_http_url, [body for bodies in group for body in bodies])
            time.sleep(spec.flush_wait_s)
    finally:
        collector.stop()  # flushes the batch processor and awsemf
    events = log_events(target.client("logs"), names.log_group)
    _check_complete(minutes, [e.message for e in events])
    records = kinesis_records(target.client("kinesis"), names.stream)
    low, high = spec.emf_range_ms(start_ms)
    return Captured(
        spec=spec,
        start_ms=start_ms,
        otlp=[body for bodies in minutes for body in bodies],
        emf=[e.message for e in events],
        emf_window=[e.message for e in events if low <= e.timestamp_ms < high],
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


def write_capture(captured: Captured, folder: Path) -> dict[str, int]:
    """Write the three files; returns file name → bytes."""
    prefix = captured.spec.prefix
    otlp = b"".join(body + b"\n" for body in captured.otlp)
    otlp_name = f"{prefix}.otlp.jsonl"
    if captured.spec.gzip_otlp:  # mtime 0: the same requests give the same bytes
        otlp, otlp_name = gzip.compress(otlp, compresslevel=9, mtime=0), otlp_name + ".gz"
    files = {
        otlp_name: otlp,
        f"{prefix}.emf.ndjson": "".join(line + "\n" for line in captured.emf_window).encode(),
        f"{prefix}.kinesis.jsonl": b"".join(rec + b"\n" for rec in captured.kinesis),
    }
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return {name: len(content) for name, content in files.items()}


def capture_on_embedded_emulator(spec: CaptureSpec, names: Names | None = None, attempts: int = 3) -> Captured:
    """`capture_through_collector` on an embedded emulator, again when the collector lost or doubled a line. The
    emulator's state lives as long as the process: give each capture of one process its own `names`."""
    from consumers.emulator import EmbeddedEmulator

    base = names or Names()
    for attempt in range(1, attempts + 1):
        suffix = f"-{attempt}" if attempt > 1 else ""  # a retry must not read the failed attempt's lines
        these = Names(f"{base.prefix}{suffix}", f"{base.log_group}{suffix}", f"{base.table}{suffix}")
        with EmbeddedEmulator() as emulator, tempfile.TemporaryDirectory() as tmp:
            target = AwsTarget(emulator.url, "us-east-1")
            try:
                return capture_through_collector(target, these, spec, Path(tmp) / "collector.log")
            except IncompleteCapture as exc:
                print(f"attempt {attempt}: {exc}", file=sys.stderr)
    raise IncompleteCapture(f"the collector lost or doubled lines in {attempts} attempts")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("which", choices=sorted(SPECS), help="which capture to make")
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="fixture folder (default: tests/fixtures)")
    args = parser.parse_args(argv)
    spec = SPECS[args.which]
    try:
        captured = capture_on_embedded_emulator(spec)
    except IncompleteCapture as exc:
        print(exc, file=sys.stderr)
        return 1
    sizes = write_capture(captured, args.dir)
    print(
        f"{spec} from {captured.start_ms}: {len(captured.otlp)} OTLP requests, {len(captured.emf)} EMF lines"
        f" ({len(captured.emf_window)} in the EMF file) in {captured.log_streams}, {len(captured.kinesis)} Kinesis"
        " records",
        file=sys.stderr,
    )
    for name, size in sizes.items():
        print(f"wrote {args.dir / name} ({size:,} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
