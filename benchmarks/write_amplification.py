"""DynamoDB write amplification of the real pipeline, and every per-data-point figure the cost model needs.

    python -m benchmarks.write_amplification [--users 1000 10000] [--minutes 10] [--write-measured]

For each user count the simulator produces `--minutes` of telemetry (all users exporting once a minute, and the
workday peak), packed into subscription records spread over `--shards` shards (Random distribution). The real
`ShardPipeline`s run on a simulated clock, polled like the KCL (every 1,500 ms, the KCL 2.5.8 default), with the
default flush intervals (window rows 1 s, user rows 30 s, 1h rows 60 s,
1d rows 300 s), against `CountingStores`, which counts every write kind
(rows, dedup markers, shard snapshots, dead letters) and DynamoDB write units (1 KB each, plus one write per GSI the
item is in). Reported: write requests and units per 1,000 data points (target: < 10 requests at 10,000 users).

Then a month profile: 10 sampled hours of a week (8 weekday hours, 2 weekend hours) per user count, steady-state
rates only (the first simulated minute is warm-up), scaled to a month. With `--write-measured` everything goes to
`consumers/cost/measured.json` for `ccstream cost`.

Every line is the real collector's: the simulator writes what awsemf writes under collector/config.yaml
(`consumers.generate.emf_writer`, proven line for line against the real collector). The collector settings the
bill depends on (the attribute trim, metric extraction) are measured side by side on one peak (`--variant-users`):
the same exports written under each setting; `python -m benchmarks.collector_metrics` checks the same figures
through the real collector.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.counting import CountingStores, WriteTally, item_bytes
from benchmarks.kcl_sim import KCL_IDLE_BETWEEN_READS_MS, SimClock, build_pipelines, drive_like_kcl
from benchmarks.machine import command_line, machine_info, source_revision
from benchmarks.workload import (
    MINUTE_MS,
    PEAK_START_MS,
    Volume,
    Workload,
    WorkloadSpec,
    build_workload,
    metric_series_of,
)
from consumers.config import Tunables
from consumers.cost.measured import (
    EventFigures,
    LineVariant,
    Measured,
    MonthProfile,
    PerPoint,
    StoredRows,
    WriteFigures,
    load_measured,
    save_measured,
)
from consumers.errors import ConfigError
from consumers.generate import Simulator, build_population, pack
from consumers.generate.collector_rules import CollectorRules, default_rules
from consumers.generate.emf_writer import EmfWriter
from consumers.generate.exports import Export
from consumers.generate.lines import EmfLine
from consumers.generate.otlp import points_of
from consumers.lake.firehose_lambda import encode_rows
from consumers.lake.transform import transform_record
from consumers.lake.writer import parquet_bytes
from consumers.model import SourceRecord
from consumers.pipeline import ShardPipeline
from consumers.sink.rows import decode_doc
from schemas.envelope import encode_envelope

MEASURED_PATH = Path(__file__).resolve().parent.parent / "consumers" / "cost" / "measured.json"
TARGET_PER_1000 = 10.0
#: Sampled UTC hours: every 3 h of a weekday (Wed) and 03:00 / 15:00 of a Saturday.
WEEKDAY = datetime(2026, 11, 18, tzinfo=UTC)
SATURDAY = datetime(2026, 11, 21, tzinfo=UTC)
WEEKDAY_HOURS = (0, 3, 6, 9, 12, 15, 18, 21)
WEEKEND_HOURS = (3, 15)
WEEK_MINUTES = 7 * 24 * 60
MONTH_WEEKS = 730 / 168


@dataclass
class Run:
    """One simulated run: its workload, pipelines and counted writes."""

    workload: Workload
    counting: CountingStores
    pipelines: dict[str, ShardPipeline]
    samples: list[tuple[int, WriteTally, int]]  # (poll time, tally copy, points so far)

    @property
    def points(self) -> int:
        return sum(p.counters.values.get("points", 0) for p in self.pipelines.values())


def _copy(tally: WriteTally) -> WriteTally:
    out = WriteTally()
    out.merge(tally)
    return out


def simulate_run(
    spec: WorkloadSpec, poll_ms: int, tunables: Tunables, count_series: bool = False, gsi_keys_only: bool = False
) -> Run:
    workload = build_workload(spec, count_metric_series=count_series)
    counting = CountingStores(now_s=spec.start_ms // 1000, gsi_keys_only=gsi_keys_only)
    first = min((r.arrival_ms for recs in workload.records.values() for r in recs), default=spec.start_ms)
    clock = SimClock(first)
    pipelines = build_pipelines("ccstream-bench", list(workload.records), counting.stores(), clock, tunables)
    run = Run(workload, counting, pipelines, [])

    def sample(now_ms: int) -> None:
        run.samples.append((now_ms, _copy(counting.tally), run.points))

    drive_like_kcl(pipelines, workload.records, clock, poll_ms, on_poll=sample)
    return run


def write_figures(scenario: str, run: Run) -> WriteFigures:
    tally, spec, volume = run.counting.tally, run.workload.spec, run.workload.volume
    groups = tally.by_group()
    rows = {k.removeprefix("row."): n for k, n in tally.requests.items() if k.startswith("row.")}
    row_units = {k.removeprefix("row."): n for k, n in tally.units.items() if k.startswith("row.")}
    return WriteFigures(
        scenario=scenario,
        users=spec.users,
        shards=spec.shards,
        simulated_minutes=spec.minutes,
        points=run.points,
        exporting_users_per_minute=round(volume.exporting_users_per_minute(spec.minutes), 1),
        write_requests={g: req for g, (req, _) in groups.items() if g != "dead_letter"},
        write_units={g: units for g, (_, units) in groups.items() if g != "dead_letter"},
        read_units=tally.read_units,
        dead_letter_puts=tally.requests.get("dead_letter", 0),
        row_write_requests=dict(sorted(rows.items())),
        row_write_units=dict(sorted(row_units.items())),
    )


def steady_window(run: Run) -> tuple[WriteTally, int, float]:
    """Writes and points between the end of the first simulated minute and the end of the data, and the minutes
    in between (excludes cold start and the final forced flush)."""
    start = run.workload.spec.start_ms + MINUTE_MS
    end = run.workload.spec.start_ms + run.workload.spec.minutes * MINUTE_MS
    inside = [s for s in run.samples if start <= s[0] <= end]
    if len(inside) < 2:
        raise ValueError("the run is too short for a steady-state window (use at least 3 minutes)")
    (t0, a, p0), (t1, b, p1) = inside[0], inside[-1]
    diff = WriteTally()
    diff.requests.update(b.requests)
    diff.requests.subtract(a.requests)
    diff.units.update(b.units)
    diff.units.subtract(a.units)
    diff.read_units = b.read_units - a.read_units
    return diff, p1 - p0, (t1 - t0) / MINUTE_MS


def month_profile(users: int, minutes: int, shards: int, poll_ms: int, tunables: Tunables, seed: int) -> MonthProfile:
    """Sample hours of a week; weight each by the minutes of the week it stands for."""
    samples = [(WEEKDAY + timedelta(hours=h), 3 * 60 * 5) for h in WEEKDAY_HOURS]
    samples += [(SATURDAY + timedelta(hours=h), 12 * 60 * 2) for h in WEEKEND_HOURS]
    assert sum(w for _, w in samples) == WEEK_MINUTES
    points = requests = units = reads = changed = 0.0
    peak_points_s = peak_bytes_s = 0.0
    labels = []
    for start, weight in samples:
        spec = WorkloadSpec(users, minutes, int(start.timestamp() * 1000), seed, shards)
        run = simulate_run(spec, poll_ms, tunables)
        diff, n, span_min = steady_window(run)
        scale = weight / span_min
        points += n * scale
        requests += diff.dynamodb_requests * scale
        units += diff.dynamodb_units * scale
        reads += diff.read_units * scale
        peak_points_s = max(peak_points_s, n / span_min / 60)
        volume = run.workload.volume
        peak_bytes_s = max(peak_bytes_s, volume.record_bytes / minutes / 60)
        changed += len({user for _, user in volume.user_minutes}) / users * weight
        labels.append(start.strftime("%a %H:%M"))
        print(
            f"  {start:%a %H:%M} UTC: {n / span_min:,.0f} points/min, {diff.dynamodb_requests / span_min:,.0f} "
            f"writes/min, {diff.dynamodb_units / span_min:,.0f} WU/min",
            flush=True,
        )
    return MonthProfile(
        users=users,
        sampled_hours=labels,
        points_per_user_month=points * MONTH_WEEKS / users,
        write_requests_per_1000_points=1000 * requests / points,
        write_units_per_1000_points=1000 * units / points,
        read_units_per_1000_points=1000 * reads / points,
        peak_points_per_second=peak_points_s,
        peak_kinesis_bytes_per_second=peak_bytes_s,
        changed_user_share=changed / WEEK_MINUTES,
    )


def stored_rows(run: Run) -> StoredRows:
    """Bytes of one window's rows (all shards, all buckets), averaged over the windows seen; user entry size."""
    per_window: dict[tuple[str, int], int] = {}
    entries = entry_bytes = 0
    for (_, key), item in run.counting.items.items():
        tag = f"{key.kind}{key.size}"
        size = item_bytes(item)
        per_window[(tag, key.start_ms)] = per_window.get((tag, key.start_ms), 0) + size
        if key.kind == "U" and key.size == "1h":
            entries += len(decode_doc(item["data"]).get("users", {}))
            entry_bytes += size
    by_tag: dict[str, list[int]] = {}
    for (tag, _), size in per_window.items():
        by_tag.setdefault(tag, []).append(size)
    return StoredRows(
        users=run.workload.spec.users,
        minutes_covered=run.workload.spec.minutes,
        bytes_per_window={tag: round(sum(v) / len(v)) for tag, v in sorted(by_tag.items())},
        bytes_per_user_entry=entry_bytes / entries if entries else 0.0,
    )


def per_point(volume: Volume, sample: Iterable[SourceRecord]) -> PerPoint:
    """Byte figures per data point; lake figures from transforming `sample` (as the Firehose Lambda does)."""
    rows: list[dict[str, object]] = []
    cpu = 0.0
    for rec in sample:
        started = time.process_time()
        out = transform_record(rec.data, source=str(rec.sequence_number))
        cpu += time.process_time() - started
        rows.extend(out.rows)
    n = volume.points
    lake_points = max(1, len(rows))
    return PerPoint(
        log_events=volume.log_events / n,
        emf_bytes=volume.emf_bytes / n,
        kinesis_bytes=volume.record_bytes / n,
        kinesis_records=(volume.data_records + volume.control_records) / n,
        kinesis_put_units=volume.put_units / n,
        firehose_billed_bytes=volume.firehose_billed_bytes / n,
        lake_json_bytes=len(encode_rows(rows)) / lake_points,
        parquet_bytes=len(parquet_bytes(rows)) / lake_points,
        transform_cpu_us=1e6 * cpu / lake_points,
    )


#: (trim, extraction) of the collector settings measured side by side; the first is the shipped config.
VARIANTS = ((True, True), (False, True), (True, False), (False, False))


def variant_rules(trim: bool, extraction: bool, shipped: CollectorRules | None = None) -> CollectorRules:
    """The shipped collector rules without the trim block and/or without metric declarations."""
    base = shipped or default_rules()
    return dataclasses.replace(
        base, deletions=base.deletions if trim else (), declarations=base.declarations if extraction else ()
    )


def peak_exports(users: int, minutes: int, seed: int) -> list[Export]:
    sim = Simulator(build_population(users, seed), seed)
    return [e for m in range(minutes) for e in sim.step_exports(PEAK_START_MS + m * MINUTE_MS)]


def line_variants(exports: list[Export]) -> list[LineVariant]:
    """Bytes per data point of the same exports under each collector setting."""
    points = sum(len(values) for e in exports for values in e.series.values())
    out = []
    for trim, extraction in VARIANTS:
        writer = EmfWriter(variant_rules(trim, extraction))
        lines = [EmfLine(ts, e.log_stream, text) for e in exports for ts, text in writer.lines_of_export(e)]
        lines.sort(key=lambda line: line.timestamp_ms)
        record_bytes = sum(len(encode_envelope(p.envelope)) for p in pack(lines))
        metrics = set().union(*(metric_series_of(line.line) for line in lines))
        out.append(
            LineVariant(
                trim=trim,
                extraction=extraction,
                emf_bytes=sum(len(line.line.encode()) for line in lines) / points,
                log_events=len(lines) / points,
                kinesis_bytes=record_bytes / points,
                cloudwatch_metrics=len(metrics),
            )
        )
    return out


def otlp_bytes_per_point(exports: list[Export]) -> float:
    """What CloudWatch's OTLP ingestion counts per point: metric name, label and resource keys and values,
    8-byte timestamp and value."""
    total = count = 0
    for export in exports:
        for p in points_of(export):
            labels = sum(len(k) + len(str(v)) for k, v in p.attributes.items())  # a bool counts as True/False
            resource = sum(len(k) + len(v) for k, v in p.resource.items())
            total += len(p.metric) + labels + resource + 16
            count += 1
    return total / max(1, count)


def _kept_events(path: Path) -> EventFigures | None:
    """The events section already in `path` (`benchmarks.events_bill` writes it; this run measures metrics only)."""
    try:
        return load_measured(path).events
    except ConfigError:
        return None


def print_figures(f: WriteFigures) -> None:
    ok = f.requests_per_1000_points() < TARGET_PER_1000
    print(
        f"  {f.points:,} points ({f.exporting_users_per_minute:,.0f} exporting users/min); DynamoDB writes "
        f"{f.total_requests:,} = {f.requests_per_1000_points():.2f} per 1,000 points "
        f"(target < {TARGET_PER_1000:g} at 10,000 users: {'met' if ok else 'NOT met'}); write units "
        f"{f.total_units:,} = {f.units_per_1000_points():,.1f} per 1,000 points"
    )
    print(
        "  by kind (requests / units): "
        + ", ".join(f"{k} {f.write_requests[k]:,} / {f.write_units.get(k, 0):,}" for k in sorted(f.write_requests))
        + f"; S3 dead letters {f.dead_letter_puts:,}; read units {f.read_units:,.1f}"
    )
    print(
        "  rows by type (requests / units): "
        + ", ".join(f"{k} {n:,} / {f.row_write_units.get(k, 0):,}" for k, n in f.row_write_requests.items())
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--minutes", type=int, default=10, help="simulated minutes of the peak scenarios")
    parser.add_argument(
        "--month-minutes", type=int, default=5, help="simulated minutes per sampled hour (5 = the rollup interval)"
    )
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--poll-ms", type=int, default=KCL_IDLE_BETWEEN_READS_MS)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-month", action="store_true", help="skip the month profile")
    parser.add_argument("--no-all-active", action="store_true", help="skip the every-user-every-minute scenario")
    parser.add_argument("--no-workday", action="store_true", help="skip the workday-peak scenario")
    parser.add_argument(
        "--variant-users", type=int, default=1_000, help="users of the peak on which collector settings are compared"
    )
    parser.add_argument(
        "--what-if-gsi-keys-only",
        action="store_true",
        help="count GSI writes as if the GSIs projected KEYS_ONLY (not the shipped design)",
    )
    parser.add_argument(
        "--write-measured",
        nargs="?",
        const=str(MEASURED_PATH),
        default=None,
        metavar="PATH",
        help=f"write the figures for `ccstream cost` (default path {MEASURED_PATH})",
    )
    args = parser.parse_args(argv)
    tunables = Tunables()
    machine = machine_info()
    print(machine.line())
    print(f"command: {command_line()}")
    print(
        f"settings: {args.shards} shards, KCL poll every {args.poll_ms} ms, flush W every "
        f"{tunables.flush_interval_ms} ms / U every {tunables.user_flush_interval_ms} ms, "
        f"at least every {tunables.size_flush_interval_ms} ms by size, "
        f"{tunables.user_buckets} user buckets, windows {', '.join(tunables.window_sizes)}"
    )

    scenarios: list[WriteFigures] = []
    rows: list[StoredRows] = []
    series: dict[str, int] = {}
    published: dict[str, int] = {}
    publish_calls = publish_windows = 0
    point_figures: PerPoint | None = None
    for users in args.users:
        kinds = ([] if args.no_workday else [("peak-workday", False)]) + (
            [] if args.no_all_active else [("all-active", True)]
        )
        for scenario, all_active in kinds:
            spec = WorkloadSpec(users, args.minutes, PEAK_START_MS, args.seed, args.shards, all_active)
            print(f"\n{scenario}: {spec.describe()}", flush=True)
            started = time.perf_counter()
            run = simulate_run(spec, args.poll_ms, tunables, not all_active, args.what_if_gsi_keys_only)
            figures = write_figures(scenario, run)
            scenarios.append(figures)
            print_figures(figures)
            print(f"  ({time.perf_counter() - started:.0f} s)")
            if not all_active:
                rows.append(stored_rows(run))
                volume = run.workload.volume
                series[str(users)] = len(volume.metric_series or ())
                publisher = run.counting.publisher
                published[str(users)] = len(publisher.series)
                publish_calls += publisher.calls
                publish_windows += publisher.windows
                if users == max(args.users):
                    sample = [r for recs in run.workload.records.values() for r in recs][:400]
                    point_figures = per_point(volume, sample)
                print(
                    f"  stored bytes per window: {rows[-1].bytes_per_window}; "
                    f"{rows[-1].bytes_per_user_entry:.0f} bytes per user entry; "
                    f"{series[str(users)]:,} EMF metric series; {published[str(users)]:,} metrics published by "
                    f"the consumer in {publisher.calls} PutMetricData calls for {publisher.windows} shard-windows"
                )
    if point_figures is not None:
        print(f"\nper data point: {point_figures}")

    variant_users = min(args.variant_users, max(args.users))
    exports = peak_exports(variant_users, args.minutes, args.seed)
    variants = line_variants(exports)
    otlp_bytes = otlp_bytes_per_point(exports)
    print(f"\ncollector settings, {variant_users:,} users, {args.minutes} min of the workday peak:")
    for v in variants:
        print(
            f"  trim {'on ' if v.trim else 'off'}, extraction {'on ' if v.extraction else 'off'}: "
            f"{v.emf_bytes:,.0f} EMF bytes and {v.log_events:.3f} log events per point, {v.kinesis_bytes:.1f} "
            f"Kinesis bytes per point, {v.cloudwatch_metrics:,} CloudWatch metrics"
        )
    print(f"  OTLP → CloudWatch would count {otlp_bytes:,.0f} bytes per point")

    months: list[MonthProfile] = []
    if not args.no_month:
        for users in args.users:
            print(f"\nmonth profile, {users:,} users ({args.month_minutes} simulated minutes per sampled hour):")
            months.append(month_profile(users, args.month_minutes, args.shards, args.poll_ms, tunables, args.seed))
            m = months[-1]
            print(
                f"  {m.changed_user_share:.1%} of users with new data per {args.month_minutes} minutes (rollup); "
                f"{m.points_per_user_month:,.0f} points per user-month; "
                f"{m.write_requests_per_1000_points:.2f} writes and {m.write_units_per_1000_points:,.1f} write "
                f"units per 1,000 points over the week"
            )

    if args.write_measured:
        if point_figures is None or args.what_if_gsi_keys_only:
            raise SystemExit("--write-measured needs the workday scenario and the shipped GSI design")
        measured = Measured(
            measured_on=datetime.now(UTC).strftime("%Y-%m-%d"),
            command=command_line(),
            machine=machine.to_json(),
            settings={
                "source_revision": source_revision(),
                "shards": args.shards,
                "kcl_poll_ms": args.poll_ms,
                "flush_interval_ms": tunables.flush_interval_ms,
                "user_flush_interval_ms": tunables.user_flush_interval_ms,
                "user_buckets": tunables.user_buckets,
                "window_buckets": dict(tunables.window_buckets),
                "size_flush_interval_ms": dict(tunables.size_flush_interval_ms),
                "window_sizes": list(tunables.window_sizes),
                "peak_minutes": args.minutes,
                "month_minutes_per_sample": args.month_minutes,
                "seed": args.seed,
            },
            per_point=point_figures,
            scenarios=scenarios,
            months=months,
            stored_rows=rows,
            cloudwatch_metric_series=series,
            published_metric_series=published,
            put_metric_data_calls_per_shard_minute=publish_calls / max(1, publish_windows),
            line_variants=variants,
            variants_measured_on={"users": variant_users, "minutes": args.minutes, "start_ms": PEAK_START_MS},
            otlp_bytes_per_point=otlp_bytes,
            events=_kept_events(Path(args.write_measured)),
        )
        save_measured(measured, Path(args.write_measured))
        print(f"\nwrote {args.write_measured}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
