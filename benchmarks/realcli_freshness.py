"""Freshness with the real CLI: from the CLI's OTLP export to the aggregate being readable through `ccstream query`.

    python -m benchmarks.realcli_freshness [--probes 8] [--warmup 1]

On the embedded stack (moto, the streaming stack, the real KCL aggregator with its default flush intervals) plus the
real collector (`consumers.collector.process.start_collector`). Each probe is one headless run of the real Claude
Code CLI (one scripted text reply from tests/realcli's fake Messages API) by a fresh developer with a unique
`team.id`. A loopback relay between the CLI and the collector notes when each OTLP metrics request arrived; a
poller reads `query_metric(token.usage, 1m, by team.id)` every `--poll-ms`. Freshness = first time the team's row
shows the full token total the CLI sent - arrival time of the last request that carried token usage.
Prints p50/p95; not a test.

`--setting NAME=TIMEOUT` (repeatable) runs the probes once per collector batch setting on the same stack, a fresh
collector each: by default `production=10s` (the batch processor timeout the ECS tasks run with,
scripts/collector_ssm.py) and `minimal=0s` (the batch processor sends at once; awsemf then writes each request's
lines in their own PutLogEvents). Everything else is production's: send_batch_size 1000, the KCL's 1,500 ms poll,
the aggregator's default flush intervals.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from benchmarks.machine import command_line, machine_info
from benchmarks.stack import running_aggregator
from consumers.query.api import query_metric
from consumers.query.reader import DynamoRowReader
from tests.realcli import oracle
from tests.realcli.cli import installed_binary
from tests.realcli.fake_anthropic import FakeAnthropic, Text
from tests.realcli.scenarios import Invocation
from tests.realcli.session import cli_session

TOKENS = "claude_code.token.usage"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def relay(target: str) -> Iterator[tuple[str, list[tuple[float, str, dict[str, Any]]]]]:
    """An OTLP/HTTP pass-through on loopback that records (arrival time, path, JSON body) of each request."""
    seen: list[tuple[float, str, dict[str, Any]]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            arrived = time.monotonic()
            raw = self.rfile.read(int(self.headers.get("content-length") or 0))
            with suppress(ValueError):
                seen.append((arrived, self.path, json.loads(raw)))
            req = urllib.request.Request(
                target + self.path, data=raw, headers={"content-type": self.headers.get("content-type", "")}
            )
            try:
                with urllib.request.urlopen(req, timeout=10) as resp:
                    status, body = resp.status, resp.read()
            except urllib.error.HTTPError as exc:
                status, body = exc.code, exc.read()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


@dataclass(frozen=True)
class Setting:
    """One collector batch setting to measure under: a name and the batch processor's timeout."""

    name: str
    batch_timeout: str

    @classmethod
    def parse(cls, text: str) -> Setting:
        name, sep, timeout = text.partition("=")
        if not sep or not name or not timeout:
            raise argparse.ArgumentTypeError(f"expected NAME=TIMEOUT (e.g. production=10s), got {text!r}")
        return cls(name, timeout)


DEFAULT_SETTINGS = (Setting("production", "10s"), Setting("minimal", "0s"))


def summary(name: str, results: list[float]) -> str:
    if not results:
        return f"{name}: no probe became visible"
    return (
        f"{name}: freshness over {len(results)} probes: p50 {statistics.median(results):.2f} s, "
        f"p95 {percentile(results, 0.95):.2f} s, max {max(results):.2f} s"
    )


def probe_once(
    i: int, binary: Path, base: Path, fake: FakeAnthropic, relay_url: str, seen: list[Any], reader: Any, poll_ms: int
) -> float | None:
    """One CLI run by a fresh developer; seconds from its last token export reaching the collector to the total
    being readable, or None when it never was within 120 s."""
    team = f"fresh-{uuid.uuid4().hex[:8]}"
    history: list[tuple[float, float]] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            now_ms = int(time.time() * 1000)
            rows = query_metric(reader, TOKENS, "1m", ("team.id",), now_ms - 600_000, now_ms + 60_000)
            total = sum(r.value for r in rows if r.labels["team.id"] == team)
            history.append((time.monotonic(), total))
            stop.wait(poll_ms / 1000)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    first = len(seen)
    with cli_session(binary, base / f"p{i}", fake, relay_url, {f"dev{i}": ("bench", team, None)}) as cli:
        cli.run(Invocation(f"dev{i}", "probe", "[[probe]] hello"))
    mine = [(t, p, b) for t, p, b in seen[first:] if p.endswith("/v1/metrics")]
    points = [(t, pt) for t, _, b in mine for pt in oracle.metric_points([b]) if pt.metric == TOKENS]
    want = sum(pt.value for _, pt in points)
    sent_at = max(t for t, _ in points)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(v == want for _, v in history):
        time.sleep(0.2)
    stop.set()
    poller.join()
    visible = next((t for t, v in history if v == want), None)
    if visible is None:
        print(f"probe {i}: not visible within 120 s (wanted {want}, last {history[-1][1]})")
        return None
    return visible - sent_at


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=1, help="first probes not counted (KCL leases, cold caches)")
    parser.add_argument("--poll-ms", type=int, default=100)
    parser.add_argument(
        "--setting",
        dest="settings",
        type=Setting.parse,
        action="append",
        help="NAME=BATCH_TIMEOUT, repeatable (default: production=10s and minimal=0s)",
    )
    args = parser.parse_args(argv)
    settings: list[Setting] = args.settings or list(DEFAULT_SETTINGS)
    binary = installed_binary()
    if binary is None:
        print("the real Claude Code CLI is not installed: run `make claude-code`")
        return 1
    from consumers.collector.process import start_collector

    print(command_line(), machine_info(), sep="\n")
    measured: dict[str, list[float]] = {}
    with running_aggregator("rcfresh", None) as agg, tempfile.TemporaryDirectory(prefix="realcli-fresh-") as tmp:
        base = Path(tmp)
        reader = DynamoRowReader(agg.aws.client("dynamodb"), agg.names.table)
        assert agg.aws.endpoint_url is not None, "the benchmark runs on the embedded emulator"
        fake = FakeAnthropic(scripts={"probe": [Text("probe reply")]})
        for setting in settings:
            print(f"collector batch timeout {setting.batch_timeout} ({setting.name})")
            collector = start_collector(
                endpoint_url=agg.aws.endpoint_url,
                region=agg.aws.region,
                http_port=_free_port(),
                task_id=f"rcfresh-{setting.name}",
                metrics_log_group=agg.names.log_group,
                events_log_group=f"{agg.names.log_group}-events",
                log_file=base / f"collector-{setting.name}.log",
                batch_timeout=setting.batch_timeout,
            )
            results = measured[setting.name] = []
            try:
                with relay(collector.otlp_http_url) as (relay_url, seen):
                    for i in range(args.warmup + args.probes):
                        took = probe_once(i, binary, base / setting.name, fake, relay_url, seen, reader, args.poll_ms)
                        if took is None:
                            continue
                        warm = " (warm-up, not counted)" if i < args.warmup else ""
                        if not warm:
                            results.append(took)
                        print(f"  probe {i}: visible {took:.2f} s after the CLI's export{warm}")
            finally:
                collector.stop()
    print()
    for setting in settings:
        print(summary(f"{setting.name} (batch timeout {setting.batch_timeout})", measured[setting.name]))
    return 0 if all(measured.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
