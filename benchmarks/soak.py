"""Soak: N simulated users streaming for M minutes through the embedded stack, memory and lag sampled every minute.

    python -m benchmarks.soak [--users 10000] [--minutes 30]        (`make soak`; not part of CI)

Deploys the streaming stack on an embedded emulator, runs the real KCL MultiLangDaemon with the aggregator, and
every wall-clock minute sends the simulated users' lines of the minute that just ended with PutLogEvents (moto then
delivers them to Kinesis through the subscription filter). Once a minute it prints: lines sent, the resident memory
of the Java daemon, of each record processor and of this process (emulator + generator), and the consumer lag
(records not yet checkpointed, per `consumers.kcl.drain`). Ends with the maxima and whether the lag stayed bounded.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import psutil

from benchmarks.machine import command_line, machine_info
from benchmarks.stack import running_aggregator
from consumers.generate import live_batches
from consumers.kcl.drain import app_drain
from consumers.replay.logs import put_emf_lines

MB = 2**20


@dataclass
class Sample:
    minute: int
    lines: int
    send_s: float
    java_mb: float
    processors_mb: list[float]
    this_mb: float
    behind: int

    def line(self) -> str:
        procs = ", ".join(f"{m:.0f}" for m in self.processors_mb) or "-"
        return (
            f"{self.minute:>4} {self.lines:>8,} {self.send_s:>7.1f} {self.java_mb:>8.0f} {procs:>16} "
            f"{self.this_mb:>8.0f} {self.behind:>8,}"
        )


HEADER = f"{'min':>4} {'lines':>8} {'send s':>7} {'java MB':>8} {'processor MB':>16} {'this MB':>8} {'behind':>8}"


def process_memory() -> tuple[float, list[float], float]:
    """RSS of the MultiLangDaemon(s), of each aggregator record processor, and of this process."""
    me = psutil.Process()
    java = 0.0
    processors = []
    for child in me.children(recursive=True):
        try:
            cmd = " ".join(child.cmdline())
            rss = child.memory_info().rss / MB
        except psutil.Error:
            continue
        if "MultiLangDaemon" in cmd:
            java += rss
        elif "consumers.kcl.processor" in cmd:
            processors.append(rss)
    return java, sorted(processors), me.memory_info().rss / MB


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--minutes", type=int, default=30)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--endpoint-url", default=None, help="use a running emulator instead of an embedded one")
    args = parser.parse_args(argv)
    print(machine_info().line())
    print(f"command: {command_line()}")
    samples: list[Sample] = []
    with running_aggregator("soak", args.endpoint_url, poll_interval_s=10) as stack:
        aws, names = stack.aws, stack.names
        logs, kinesis, ddb = aws.client("logs"), aws.client("kinesis"), aws.client("dynamodb")
        print(f"{args.users:,} users for {args.minutes} min; one row per minute\n{HEADER}", flush=True)
        for minute, lines in enumerate(live_batches(args.users, args.seed, minutes=args.minutes), 1):
            if stack.failed():
                raise SystemExit(f"the consumer stopped: {stack.failed()}")
            started = time.monotonic()
            put_emf_lines(logs, names.log_group, None, lines)
            send_s = time.monotonic() - started
            drain = app_drain(kinesis, ddb, names.stream, names.consumer_app, limit=10_000)
            java, processors, this = process_memory()
            samples.append(Sample(minute, len(lines), send_s, java, processors, this, drain.behind))
            print(samples[-1].line(), flush=True)
    if not samples:
        return 1
    peak_proc = max((max(s.processors_mb) for s in samples if s.processors_mb), default=0.0)
    print(
        f"\nmax RSS: java {max(s.java_mb for s in samples):.0f} MB, processor {peak_proc:.0f} MB, this process "
        f"{max(s.this_mb for s in samples):.0f} MB; lag at the end {samples[-1].behind:,} records "
        f"(max {max(s.behind for s in samples):,}); sending took up to {max(s.send_s for s in samples):.0f} s/min"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
