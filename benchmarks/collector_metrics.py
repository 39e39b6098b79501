"""How many CloudWatch metrics the real collector's EMF lines create, per awsemf dimension choice.

Simulated developers' OTLP (consumers.generate, delta sums as the CLI sends them) goes through the built
collector three times — our config (NoDimensionRollup, aggregate declarations), the same declarations with
awsemf's default ZeroAndSingleDimensionRollup, and no extraction at all — and the lines are read back from
the embedded emulator. A CloudWatch metric is one (namespace, metric name, dimension names and values).

    python -m benchmarks.collector_metrics --users 100 300 --minutes 10
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from consumers.aws import AwsTarget
from consumers.collector.process import free_port, start_collector
from consumers.emulator import EmbeddedEmulator
from consumers.generate.otlp import point_count, requests_of
from consumers.generate.simulator import simulate_exports

VARIANTS: dict[str, tuple[str, ...]] = {
    "ours: NoDimensionRollup + aggregate declarations": (),
    "same declarations, default ZeroAndSingleDimensionRollup": (
        "exporters::awsemf::dimension_rollup_option=ZeroAndSingleDimensionRollup",
    ),
    # v0.131.0 has no disable_metric_extraction; a declaration that selects no metric has the same effect.
    "no extraction (a declaration selecting no metric)": (
        'exporters::awsemf::metric_declarations=[{dimensions: [[department]], metric_name_selectors: ["^none$"]}]',
    ),
}
PER_PERSON = ("user.", "session.", "organization.id")


def _events(logs: Any, group: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for page in logs.get_paginator("filter_log_events").paginate(logGroupName=group):
        out.extend(page["events"])
    return out


def cloudwatch_metrics(lines: list[dict[str, Any]]) -> tuple[int, int]:
    """(distinct CloudWatch metrics, of which with a per-person dimension)."""
    metrics: set[tuple[str, str, tuple[tuple[str, str], ...]]] = set()
    for line in lines:
        for directive in line.get("_aws", {}).get("CloudWatchMetrics", []):
            for dims in directive["Dimensions"]:
                key = tuple((d, str(line.get(d))) for d in dims)
                for metric in directive["Metrics"]:
                    metrics.add((directive["Namespace"], metric["Name"], key))
    personal = sum(1 for _, _, dims in metrics if any(d.startswith(PER_PERSON) for d, _ in dims))
    return len(metrics), personal


def run(
    emulator: EmbeddedEmulator, users: int, minutes: int, overrides: tuple[str, ...], log_file: Path | None = None
) -> dict[str, Any]:
    logs = AwsTarget(endpoint_url=emulator.url, region="us-east-1").client("logs")
    group = f"/bench/collector-{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=group)
    # The same input for every variant: from 10:00 UTC today (working hours, within CloudWatch's 14-day window).
    start_ms = (int(time.time()) // 86_400 * 86_400 + 10 * 3600) * 1000
    bodies = [body for exports in simulate_exports(users, minutes, start_ms, seed=7) for body in requests_of(exports)]
    with (
        tempfile.TemporaryDirectory() as tmp,
        start_collector(
            endpoint_url=emulator.url,
            region="us-east-1",
            http_port=free_port(),
            task_id="bench",
            metrics_log_group=group,
            events_log_group=group + "-events",
            log_file=log_file or Path(tmp) / "collector.log",
            config_overrides=overrides,
        ) as collector,
    ):
        for body in bodies:
            req = urllib.request.Request(
                collector.otlp_http_url + "/v1/metrics", body, {"Content-Type": "application/json"}
            )
            urllib.request.urlopen(req, timeout=30).read()
        exit_code = collector.stop(timeout_s=120)  # a clean exit means every line was flushed
    events = _events(logs, group)
    lines = [json.loads(e["message"]) for e in events]
    count, personal = cloudwatch_metrics(lines)
    return {
        "requests": len(bodies),
        "points": sum(point_count(body) for body in bodies),
        "exit_code": exit_code,
        "lines": len(lines),
        "bytes_per_line": round(sum(len(e["message"].encode()) for e in events) / max(1, len(events))),
        "cloudwatch_metrics": count,
        "per_person_metrics": personal,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[100, 300])
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--only", type=int, help="run only the n-th variant (0-based)")
    parser.add_argument("--log-dir", type=Path, help="keep each run's collector log here")
    args = parser.parse_args()
    with EmbeddedEmulator() as emulator:
        for users in args.users:
            for i, (name, overrides) in enumerate(VARIANTS.items()):
                if args.only is not None and i != args.only:
                    continue
                log_file = args.log_dir / f"collector-{users}-{i}.log" if args.log_dir else None
                result = run(emulator, users, args.minutes, overrides, log_file)
                print(f"{users:>5} users, {args.minutes} min | {name}: {json.dumps(result)}", flush=True)


if __name__ == "__main__":
    main()
