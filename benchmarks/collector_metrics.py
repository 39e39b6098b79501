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

import yaml

from benchmarks.write_amplification import variant_rules
from consumers.aws import AwsTarget
from consumers.collector.build import collector_config
from consumers.collector.process import free_port, start_collector
from consumers.emulator import EmbeddedEmulator
from consumers.generate import pack
from consumers.generate.emf_writer import EmfWriter
from consumers.generate.lines import EmfLine
from consumers.generate.otlp import point_count, requests_of
from consumers.generate.simulator import simulate_exports
from schemas.envelope import encode_envelope


def _untrimmed_processors() -> str:
    doc = yaml.safe_load(collector_config().read_text())
    kept = [p for p in doc["service"]["pipelines"]["metrics"]["processors"] if not p.startswith("transform/trim")]
    return f"service::pipelines::metrics::processors=[{', '.join(kept)}]"


NO_TRIM = _untrimmed_processors()
# v0.131.0 has no disable_metric_extraction; a declaration that selects no metric has the same effect.
NO_EXTRACTION = (
    'exporters::awsemf::metric_declarations=[{dimensions: [[department]], metric_name_selectors: ["^none$"]}]'
)
DEFAULT_ROLLUP = "exporters::awsemf::dimension_rollup_option=ZeroAndSingleDimensionRollup"
#: name → (--set overrides, (trim, extraction) for the model, or None where the model does not apply)
VARIANTS: dict[str, tuple[tuple[str, ...], tuple[bool, bool] | None]] = {
    "shipped: trim, NoDimensionRollup + aggregate declarations": ((), (True, True)),
    "no trim": ((NO_TRIM,), (False, True)),
    "trim, no extraction": ((NO_EXTRACTION,), (True, False)),
    "no trim, no extraction": ((NO_TRIM, NO_EXTRACTION), (False, False)),
    "no trim, default ZeroAndSingleDimensionRollup": ((NO_TRIM, DEFAULT_ROLLUP), None),
}
PER_PERSON = ("user.", "session.", "organization.id")


def latest_wednesday_10_utc_ms(now_ms: int, minutes: int = 60) -> int:
    day_ms = 86_400_000
    start = now_ms // day_ms * day_ms + 10 * 3_600_000
    while start + minutes * 60_000 > now_ms or time.gmtime(start / 1000).tm_wday != 2:
        start -= day_ms
    return start


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


def _kinesis_bytes(events: list[dict[str, Any]]) -> int:
    """Bytes of the gzip'd subscription records these events make (CloudWatch's packing, `consumers.generate.pack`)."""
    lines = sorted(
        (EmfLine(e["timestamp"], e["logStreamName"], e["message"]) for e in events), key=lambda x: x.timestamp_ms
    )
    return sum(len(encode_envelope(p.envelope)) for p in pack(lines))


def _model_bytes(bodies: list[bytes], model: tuple[bool, bool]) -> int:
    writer = EmfWriter(variant_rules(*model))
    return sum(len(text.encode()) for body in bodies for _, text in writer.lines_of_request(json.loads(body)))


def run(
    emulator: EmbeddedEmulator,
    users: int,
    minutes: int,
    overrides: tuple[str, ...],
    log_file: Path | None = None,
    model: tuple[bool, bool] | None = None,
) -> dict[str, Any]:
    logs = AwsTarget(endpoint_url=emulator.url, region="us-east-1").client("logs")
    group = f"/bench/collector-{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=group)
    # The same input for every variant: from 10:00 UTC of the latest past Wednesday (a working day, within
    # CloudWatch's 14-day window), so counts measured on different days compare.
    start_ms = latest_wednesday_10_utc_ms(int(time.time() * 1000))
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
    points = sum(point_count(body) for body in bodies)
    emf_bytes = sum(len(e["message"].encode()) for e in events)
    return {
        "requests": len(bodies),
        "points": points,
        "exit_code": exit_code,
        "lines": len(lines),
        "bytes_per_line": round(emf_bytes / max(1, len(events))),
        "emf_bytes_per_point": round(emf_bytes / max(1, points), 1),
        "model_emf_bytes_per_point": round(_model_bytes(bodies, model) / max(1, points), 1) if model else None,
        "kinesis_bytes_per_point": round(_kinesis_bytes(events) / max(1, points), 1),
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
            for i, (name, (overrides, model)) in enumerate(VARIANTS.items()):
                if args.only is not None and i != args.only:
                    continue
                log_file = args.log_dir / f"collector-{users}-{i}.log" if args.log_dir else None
                result = run(emulator, users, args.minutes, overrides, log_file, model)
                print(f"{users:>5} users, {args.minutes} min | {name}: {json.dumps(result)}", flush=True)


if __name__ == "__main__":
    main()
