"""Events in the bill: bytes per event through the real collector, what the lines make downstream, and how many
minutes a developer works: the figures `ccstream cost` prices Claude Code events with.

    python -m benchmarks.events_bill [--users 10000] [--minutes 10] [--active-users 10000] [--write-measured]

1. The real CLI's logs export requests (`tests/fixtures/events/realcli.otlp-logs.jsonl`, exactly as the CLI sent
   them) through the real collector twice, with `collector/config.yaml` and with its `transform/events_trim` taken
   out of the logs pipeline; the lines are read back from the emulator's events log group. Bytes per line per event
   name, weighted by the event mix of `benchmarks.events.RATES` (8.5 events per developer and active minute).
2. Each variant's lines as templates for as many developers as are in a conversation at the month's mean among
   `--users` (step 3), over `--minutes` (`benchmarks.events`' workload: 4 collector tasks, one PutLogEvents per task
   and second, gzip'd subscription records), with a `user.email` as the token identity adds in production: Kinesis
   bytes, records and PUT payload units per event; for the shipped lines also the real events pipeline polled like
   the KCL (DynamoDB requests and units, lake PUTs and Parquet bytes per 1,000 events).
3. Active minutes per developer-month: CLI exports of the metrics simulator (`--active-users` developers) over the
   sampled week of the metrics' month profile (`benchmarks.write_amplification`); each export is one minute in a
   conversation, the minute the events' rates are per.

With `--write-measured` the figures become the `events` section of `consumers/cost/measured.json`.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
import urllib.request
import uuid
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import msgspec
import yaml

import benchmarks.events as events_bench
from benchmarks.collector_metrics import _events as read_log_events
from benchmarks.machine import command_line, machine_info
from benchmarks.write_amplification import (
    MEASURED_PATH,
    MONTH_WEEKS,
    SATURDAY,
    WEEK_MINUTES,
    WEEKDAY,
    WEEKDAY_HOURS,
    WEEKEND_HOURS,
)
from consumers.aws import AwsTarget
from consumers.collector.build import collector_config
from consumers.collector.process import free_port, start_collector
from consumers.cost.measured import EventFigures, load_measured, save_measured
from consumers.emulator import EmbeddedEmulator
from consumers.generate.simulator import simulate_exports

ROOT = Path(__file__).resolve().parent.parent
CAPTURE = ROOT / "tests" / "fixtures" / "events" / "realcli.otlp-logs.jsonl"
TRIM = "transform/events_trim"
#: What the token identity adds to every event in production (the capture's CLI had no e-mail).
EMAIL = "firstname.lastname@example.com"
KINESIS_PUT_UNIT = 25 * 1024
MONTH_MINUTES = 730 * 60


def _untrimmed() -> str:
    doc = yaml.safe_load(collector_config().read_text())
    kept = [p for p in doc["service"]["pipelines"]["logs"]["processors"] if p != TRIM]
    return f"service::pipelines::logs::processors=[{', '.join(kept)}]"


def collector_lines(
    emulator: EmbeddedEmulator, overrides: tuple[str, ...]
) -> dict[str, list[tuple[int, dict[str, Any]]]]:
    """(bytes, parsed line) of every exporter line the real collector writes for the capture's requests, by event
    name."""
    logs = AwsTarget(endpoint_url=emulator.url, region="us-east-1").client("logs")
    group = f"/bench/events-{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=group)
    with (
        tempfile.TemporaryDirectory() as tmp,
        start_collector(
            endpoint_url=emulator.url,
            region="us-east-1",
            http_port=free_port(),
            task_id="bench",
            metrics_log_group=group + "-metrics",
            events_log_group=group,
            log_file=Path(tmp) / "collector.log",
            config_overrides=overrides,
        ) as collector,
    ):
        for body in CAPTURE.read_bytes().splitlines():
            req = urllib.request.Request(
                collector.otlp_http_url + "/v1/logs", body, {"Content-Type": "application/json"}
            )
            urllib.request.urlopen(req, timeout=30).read()
        if collector.stop(timeout_s=120) != 0:  # a clean exit means every line was flushed
            raise RuntimeError(f"the collector did not exit cleanly; see {collector.log_file}")
    by_name: dict[str, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    for event in read_log_events(logs, group):
        doc = json.loads(event["message"])
        by_name[doc["body"].removeprefix("claude_code.")].append((len(event["message"].encode()), doc))
    return by_name


def weighted(per_name: dict[str, float]) -> float:
    rates = events_bench.RATES
    return sum(rates[n] * per_name[n] for n in rates) / sum(rates.values())


def workload(docs: dict[str, list[tuple[int, dict[str, Any]]]], users: int, minutes: int) -> events_bench.Workload:
    """benchmarks.events' workload with these lines as templates (the first line of each event name)."""
    templates = {}
    for name, lines in docs.items():
        first = json.loads(json.dumps(lines[0][1]))
        first["attributes"]["user.email"] = EMAIL
        templates[name] = first
    # benchmarks.events builds from its fixture's templates; the same builder on this collector's lines.
    with mock.patch.object(events_bench, "templates", lambda: templates):
        return events_bench.build(users, minutes, shards=1)


def stream_figures(w: events_bench.Workload) -> dict[str, float]:
    records = [r for recs in w.records.values() for r in recs]
    return {
        "line_bytes": w.line_bytes / w.events,
        "kinesis_bytes": sum(len(r.data) for r in records) / w.events,
        "kinesis_records": len(records) / w.events,
        "kinesis_put_units": sum(math.ceil(len(r.data) / KINESIS_PUT_UNIT) for r in records) / w.events,
    }


def active_minutes(users: int, minutes: int, seed: int = 7) -> tuple[float, float]:
    """(active minutes per user-month, busiest sampled minute's share of users exporting), over the sampled week of
    the metrics' month profile (the first simulated minute of each sample is warm-up, as there)."""
    samples = [(WEEKDAY + timedelta(hours=h), 3 * 60 * 5) for h in WEEKDAY_HOURS]
    samples += [(SATURDAY + timedelta(hours=h), 12 * 60 * 2) for h in WEEKEND_HOURS]
    total = peak = 0.0
    for start, weight in samples:
        per_minute = [
            sum(1 for e in exports if e.series)
            for exports in simulate_exports(users, minutes, int(start.timestamp() * 1000), seed)
        ][1:]
        total += sum(per_minute) / len(per_minute) * weight
        peak = max(peak, max(per_minute) / users)
        print(f"  {start:%a %H:%M} UTC: {sum(per_minute) / len(per_minute) / users:.1%} of developers exporting")
    assert sum(w for _, w in samples) == WEEK_MINUTES
    return total * MONTH_WEEKS / users, peak


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, default=10_000, help="developers (the downstream workload: their mean rate)")
    ap.add_argument("--minutes", type=int, default=10)
    ap.add_argument("--active-users", type=int, default=10_000, help="developers of the activity simulation")
    ap.add_argument("--active-minutes", type=int, default=5, help="simulated minutes per sampled hour")
    ap.add_argument(
        "--write-measured",
        nargs="?",
        const=str(MEASURED_PATH),
        default=None,
        metavar="PATH",
        help=f"write the events section of a measured.json (default path {MEASURED_PATH})",
    )
    args = ap.parse_args(argv)
    print(machine_info().line())
    print(command_line())
    with EmbeddedEmulator() as emulator:
        shipped, untrimmed = collector_lines(emulator, ()), collector_lines(emulator, (_untrimmed(),))
    missing = set(events_bench.RATES) - shipped.keys()
    if missing or shipped.keys() != untrimmed.keys():
        raise RuntimeError(f"the capture lacks events of the mix: {sorted(missing)}")
    by_event = {
        name: [
            sum(n for n, _ in shipped[name]) / len(shipped[name]),
            sum(n for n, _ in untrimmed[name]) / len(untrimmed[name]),
        ]
        for name in sorted(shipped)
    }
    print("\nexporter line bytes per event through the real collector (the real CLI's capture): shipped / no trim")
    for name, (a, b) in by_event.items():
        mark = f"  x{events_bench.RATES[name]:g}/min" if name in events_bench.RATES else ""
        print(f"  {name:<28} {a:7,.0f} {b:7,.0f}  ({1 - a / b:4.0%} less){mark}")
    mix_shipped = weighted({n: v[0] for n, v in by_event.items()})
    mix_untrimmed = weighted({n: v[1] for n, v in by_event.items()})
    print(
        f"  weighted by the mix: {mix_shipped:,.0f} / {mix_untrimmed:,.0f} B "
        f"({1 - mix_shipped / mix_untrimmed:.0%} less)"
    )

    print(f"\nactive minutes ({args.active_users:,} simulated developers, {args.active_minutes} min per sampled hour):")
    minutes, peak_share = active_minutes(args.active_users, args.active_minutes)
    rate = sum(events_bench.RATES.values())
    mean_share = minutes / MONTH_MINUTES
    print(
        f"  {minutes:,.0f} active minutes per developer-month ({minutes / 60:.0f} h, {mean_share:.1%} of the month), "
        f"busiest minute {peak_share:.1%} of developers; x {rate:g} events = {minutes * rate:,.0f} events per "
        "developer-month"
    )
    # The writes per event depend on the rate (rows are rewritten per window, one dedup marker per record): the
    # downstream workload runs at the month's mean rate of `--users` developers, all of them active.
    active = max(1, round(args.users * mean_share))

    t0 = time.process_time()
    w_shipped, w_untrimmed = (workload(d, active, args.minutes) for d in (shipped, untrimmed))
    s, u = stream_figures(w_shipped), stream_figures(w_untrimmed)
    print(
        f"\n{active:,} developers in a conversation (the mean of {args.users:,}) x {args.minutes} min, "
        f"{w_shipped.events:,} events (+ user.email): line "
        f"{s['line_bytes']:,.0f} / {u['line_bytes']:,.0f} B, gzip'd Kinesis {s['kinesis_bytes']:.1f} / "
        f"{u['kinesis_bytes']:.1f} B per event (shipped / no trim); {s['kinesis_records'] * 1000:.2f} records and "
        f"{s['kinesis_put_units'] * 1000:.2f} PUT units per 1,000 events"
    )
    amp = events_bench.amplification(w_shipped)
    print(
        f"  per 1,000 events: DynamoDB {amp['ddb_requests_per_1000']:.2f} requests, {amp['ddb_units_per_1000']:.1f} "
        f"write units; lake {amp['lake_puts_per_1000']:.3f} PUTs, {amp['lake_bytes_per_event']:.0f} Parquet B/event "
        f"({time.process_time() - t0:.0f} s CPU)"
    )
    if args.write_measured:
        figures = EventFigures(
            measured_on=time.strftime("%Y-%m-%d", time.gmtime()),
            command=command_line(),
            mix=dict(events_bench.RATES),
            line_bytes=s["line_bytes"],
            untrimmed_line_bytes=u["line_bytes"],
            kinesis_bytes=s["kinesis_bytes"],
            untrimmed_kinesis_bytes=u["kinesis_bytes"],
            kinesis_records=s["kinesis_records"],
            kinesis_put_units=s["kinesis_put_units"],
            write_requests_per_1000=amp["ddb_requests_per_1000"],
            write_units_per_1000=amp["ddb_units_per_1000"],
            lake_puts_per_1000=amp["lake_puts_per_1000"],
            parquet_bytes=amp["lake_bytes_per_event"],
            active_minutes_per_user_month=minutes,
            peak_active_share=peak_share,
            by_event=by_event,
            simulated_users=active,
        )
        path = Path(args.write_measured)
        save_measured(msgspec.structs.replace(load_measured(path), events=figures), path)
        print(f"\nwrote the events section of {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
