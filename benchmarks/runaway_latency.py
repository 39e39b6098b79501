"""Runaway alert latency with the real CLI: from the first OTLP export of a runaway agent loop to its alert.

    python -m benchmarks.runaway_latency [--probes 3] [--check-every 60] [--warmup 1]

On the embedded stack (moto, the streaming stack, the real KCL aggregator with its default flush intervals) plus the
real collector (`consumers.collector.process.start_collector`), as `benchmarks/realcli_freshness.py`. Each probe is
a fresh developer (own HOME, so a new user.id, and a unique team) whose agent loop runs the real Claude Code CLI
headless again and again; tests/realcli's fake Messages API answers every request with a large, cache-heavy usage
(about 1M tokens, as a long-context agent turn). A loopback relay notes when each OTLP metrics request arrived. The
runaway check (`check_runaway`, the code the scheduled Lambda runs, default settings, episodes claimed in the
table) runs every `--check-every` seconds, as EventBridge's `rate(1 minute)` does with the default 60, at a
random phase. Latency = the alert's send time - the arrival of the loop's first metrics export with token usage.
With `--history`, each developer first runs the CLI once (to learn the `user.id` it reports), then gets 14 days of
hourly history written into the table (rows built by the real `ShardPipeline` from EMF lines, on a shard of their
own): heavy days around the hour 12 h away from now, nothing near the current hour. The loop then runs at "night"
for that developer: their threshold is `off_hours_share` × their usual peak, well above the floor.
Prints each probe and the max; not a test.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from benchmarks.machine import command_line, machine_info
from benchmarks.realcli_freshness import _free_port, relay
from benchmarks.stack import running_aggregator
from consumers.config import Tunables
from consumers.dashboard.data import DashboardData
from consumers.model import SourceRecord
from consumers.pipeline import ShardPipeline
from consumers.query.reader import DynamoRowReader
from consumers.sink.memory import MemoryStores
from consumers.spend.runaway import RunawaySettings
from consumers.spend.runaway_check import BaselineCache, DynamoEpisodeLedger, RunawayAlert, check_runaway
from tests.core.tables import put_rows
from tests.core.telemetry import emf_line, envelope_bytes
from tests.realcli import oracle
from tests.realcli.cli import installed_binary
from tests.realcli.fake_anthropic import FakeAnthropic, Text, Usage
from tests.realcli.scenarios import Invocation
from tests.realcli.session import cli_session

TOKENS = "claude_code.token.usage"
SEED_MODEL = "claude-sonnet-4-5-20250929"
AGENT_TURN = Usage(
    input_tokens=6_000,
    output_tokens=2_500,
    cache_read_input_tokens=950_000,
    cache_creation_5m=40_000,
    cache_creation_1h=0,
)


#: a heavy developer's busy hour: 20M cache-read and 2M output tokens (~36 USD at list price)
HISTORY_HOUR = {"cacheRead": 20_000_000.0, "output": 2_000_000.0}


def seed_history(client: Any, table: str, user_id: str, team: str, now_ms: int) -> int:
    """14 days of hourly history for one developer: 6 busy hours a day centred 12 h away from now."""
    hour_ms, day_ms = 3_600_000, 86_400_000
    centre = (now_ms // hour_ms + 12) % 24
    lines = []
    for d in range(14, 0, -1):
        day = now_ms - now_ms % day_ms - d * day_ms
        for h in range(centre - 3, centre + 3):
            ts = day + (h % 24) * hour_ms + 1_800_000
            for typ, tokens in HISTORY_HOUR.items():
                attrs = {"user.id": user_id, "team.id": team, "department": "bench", "model": SEED_MODEL, "type": typ}
                lines.append((ts, emf_line(ts, attrs, {TOKENS: tokens})))
    lines.sort()
    stores = MemoryStores()
    shard = "shardId-history-seed"
    pipe = ShardPipeline("seed", shard, stores.stores(), Tunables(), clock_ms=lambda: 0)
    records = [
        SourceRecord(shard, i + 1, 0, "pk", envelope_bytes("seed", [(str(i), ts, line)]), ts)
        for i, (ts, line) in enumerate(lines)
    ]
    pipe.process(records)
    pipe.flush(force=True)
    return put_rows(client, table, stores, keep=lambda key: key.size == "1h")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1, help="first probes not counted (KCL leases, cold caches)")
    parser.add_argument("--check-every", type=float, default=60.0)
    parser.add_argument("--give-up-s", type=float, default=240.0)
    parser.add_argument("--history", action="store_true", help="seed 14 days of daytime history per developer")
    args = parser.parse_args(argv)
    binary = installed_binary()
    if binary is None:
        print("the real Claude Code CLI is not installed: run `make claude-code`")
        return 1
    from consumers.collector.process import start_collector

    print(command_line(), machine_info(), sep="\n")
    settings = RunawaySettings()
    print(f"runaway settings: {settings}")
    results: list[float] = []
    with running_aggregator("runaway", None) as agg, tempfile.TemporaryDirectory(prefix="runaway-") as tmp:
        base = Path(tmp)
        client = agg.aws.client("dynamodb")
        assert agg.aws.endpoint_url is not None, "the benchmark runs on the embedded emulator"
        collector = start_collector(
            endpoint_url=agg.aws.endpoint_url,
            region=agg.aws.region,
            http_port=_free_port(),
            task_id="runaway",
            metrics_log_group=agg.names.log_group,
            events_log_group=f"{agg.names.log_group}-events",
            log_file=base / "collector.log",
        )
        sent: list[tuple[float, RunawayAlert]] = []
        stop_checks = threading.Event()
        caches = [BaselineCache()]  # replaced after seeding history, so the next check learns it

        def checks() -> None:
            ledger = DynamoEpisodeLedger(client, agg.names.table)
            stop_checks.wait(random.uniform(0, args.check_every))  # EventBridge's phase is arbitrary
            while not stop_checks.is_set():
                data = DashboardData(DynamoRowReader(client, agg.names.table))
                check_runaway(
                    data,
                    caches[-1],
                    ledger,
                    lambda a: sent.append((time.monotonic(), a)),
                    int(time.time() * 1000),
                    settings,
                )
                stop_checks.wait(args.check_every)

        checker = threading.Thread(target=checks, daemon=True)
        try:
            with relay(collector.otlp_http_url) as (relay_url, seen):
                checker.start()
                fake = FakeAnthropic(scripts={"loop": [Text("still working", AGENT_TURN)]})
                for i in range(args.warmup + args.probes):
                    team = f"loop-{uuid.uuid4().hex[:8]}"
                    first_seen, first_sent = len(seen), len(sent)
                    deadline = time.monotonic() + args.give_up_s
                    runs = 0
                    extra = {"ANTHROPIC_MODEL": "claude-sonnet-4-5-20250929"}
                    with cli_session(
                        binary, base / f"p{i}", fake, relay_url, {f"dev{i}": ("bench", team, None)}
                    ) as cli:
                        if args.history:
                            before = len(seen)
                            cli.run(Invocation(f"dev{i}", "hello", "hello"), extra)
                            ids = {
                                pt.labels["user.id"]
                                for _, path, body in seen[before:]
                                if path.endswith("/v1/metrics")
                                for pt in oracle.metric_points([body])
                                if "user.id" in pt.labels
                            }
                            (user_id,) = ids
                            rows = seed_history(client, agg.names.table, user_id, team, int(time.time() * 1000))
                            caches.append(BaselineCache())
                            print(f"probe {i}: seeded {rows} hourly rows of history for {user_id[:12]}…", flush=True)
                            first_seen, first_sent = len(seen), len(sent)
                            deadline = time.monotonic() + args.give_up_s
                        while len(sent) == first_sent and time.monotonic() < deadline:
                            cli.run(Invocation(f"dev{i}", "loop", "[[loop]] keep going"), extra)
                            runs += 1
                    mine = [(t, b) for t, p, b in seen[first_seen:] if p.endswith("/v1/metrics")]
                    starts = [t for t, b in mine if any(pt.metric == TOKENS for pt in oracle.metric_points([b]))]
                    alerts = [(t, a) for t, a in sent[first_sent:] if a.spike.scope == "user"]
                    if not starts or not alerts:
                        other = [f"{a.spike.key} {a.spike.metric}" for _, a in sent[first_sent:]]
                        print(
                            f"probe {i}: no user alert within {args.give_up_s:.0f} s ({runs} CLI runs; sent: {other})"
                        )
                        continue
                    latency = alerts[0][0] - starts[0]
                    warm = " (warm-up, not counted)" if i < args.warmup else ""
                    if not warm:
                        results.append(latency)
                    s = alerts[0][1].spike
                    print(
                        f"probe {i}: alert {latency:.1f} s after the loop's first export ({runs} CLI runs; "
                        f"{s.rate_per_minute:,.2f} {s.metric}/min over {s.threshold:,.2f}){warm}"
                    )
        finally:
            stop_checks.set()
            collector.stop()
    if results:
        print(
            f"runaway alert latency over {len(results)} probes (check every {args.check_every:.0f} s): "
            f"median {statistics.median(results):.1f} s, max {max(results):.1f} s (target: 120 s)"
        )
    return 0 if results else 1


if __name__ == "__main__":
    raise SystemExit(main())
