"""Events: decode + aggregate throughput per core, and writes per 1,000 events at 10,000 developers.

    python -m benchmarks.events [--users 10000] [--minutes 5] [--shards 1 2]

Workload: the real exporter lines of `tests/fixtures/events/realcli.events.ndjson` (the real CLI through the real
collector) as templates, re-stamped for N developers (user, session, prompt, model, durations, tokens, cost vary),
at a per-developer rate per active minute (`RATES`, below: a developer in a conversation), batched as the collector
does (one PutLogEvents per collector task and second) into gzip'd subscription records spread over the shards.

1. Throughput: `EventsPipeline.process` + `flush` on one core (this process), events/s, against two references run
   in the same process over the same records: gunzip + `json.loads` of every envelope and line (a naive floor),
   and gunzip + envelope decode alone (`decode_record`, the floor every consumer of this stream pays).
2. Write amplification: the real pipelines on a simulated clock polled like the KCL (every 1,500 ms) with the
   production flush intervals, against `CountingStores` (DynamoDB requests and units: event rows, dedup markers,
   shard snapshots) plus the lake's S3 PUTs (60 s interval), per 1,000 events.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.counting import CountingStores
from benchmarks.kcl_sim import SimClock, drive_like_kcl
from benchmarks.machine import command_line, machine_info
from consumers.config import Tunables
from consumers.decode.records import decode_record
from consumers.events_pipeline import EventsPipeline
from consumers.lake.events import EventsLake
from consumers.model import SourceRecord
from consumers.sink.rows import decode_doc

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "tests" / "fixtures" / "events" / "realcli.events.ndjson"
START_MS = 1_796_320_800_000  # 2026-12-03T18:00:00Z
MINUTE_MS = 60_000
#: Events per developer and active minute (a developer in a conversation: ~3 model calls, ~2 tools, a prompt
#: every few minutes; errors, compactions, subagents now and then; start-up events once a session).
RATES = {
    "api_request": 3.0,
    "assistant_response": 1.0,
    "tool_decision": 2.0,
    "tool_result": 1.9,
    "user_prompt": 0.3,
    "api_error": 0.03,
    "api_retries_exhausted": 0.01,
    "compaction": 0.01,
    "subagent_completed": 0.05,
    "plugin_loaded": 0.2,
}
MODELS = ("claude-opus-5-5", "claude-sonnet-4-5-20250929", "us.anthropic.claude-haiku-4-5-20251001-v1:0")
TOOLS = ("Bash", "Read", "Edit", "Write", "Grep", "Glob", "Agent", "WebFetch")
COLLECTOR_TASKS = 4


def templates() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for line in TEMPLATES.read_text().splitlines():
        doc = json.loads(json.loads(line)["message"])
        out.setdefault(doc["body"].removeprefix("claude_code."), doc)
    return out


def restamp(rng: random.Random, doc: dict[str, Any], user: int, ts: int, seq: int) -> str:
    attrs = dict(doc["attributes"])
    attrs["user.id"] = f"{user:064x}"
    attrs["session.id"] = f"{user:08x}-0000-4000-8000-{ts // 3_600_000:012x}"
    attrs["team.id"] = f"team-{user % 100}"
    attrs["department"] = f"dept-{user % 12}"
    attrs["event.sequence"] = seq
    attrs["prompt.id"] = f"{rng.getrandbits(64):016x}"
    if "model" in attrs:
        attrs["model"] = MODELS[user % 3 if rng.random() < 0.8 else rng.randrange(3)]
    if "tool_name" in attrs:
        attrs["tool_name"] = rng.choice(TOOLS)
    if "duration_ms" in attrs:
        d = int(rng.lognormvariate(6.5, 1.0)) + 1
        attrs["duration_ms"] = str(d) if isinstance(attrs["duration_ms"], str) else d
    if "ttft_ms" in attrs:
        attrs["ttft_ms"] = int(rng.lognormvariate(5.5, 0.8)) + 1
    if "cost_usd_micros" in attrs:
        attrs["input_tokens"] = rng.randrange(10, 20_000)
        attrs["output_tokens"] = rng.randrange(10, 4_000)
        attrs["cost_usd_micros"] = rng.randrange(100, 200_000)
    if "success" in attrs:
        attrs["success"] = "true" if rng.random() < 0.93 else "false"
    return json.dumps({**doc, "attributes": attrs}, separators=(",", ":"))


@dataclass
class Workload:
    records: dict[str, list[SourceRecord]]
    events: int
    line_bytes: int
    record_bytes: int


def build(users: int, minutes: int, shards: int, seed: int = 7) -> Workload:
    rng = random.Random(seed)
    docs = templates()
    names = list(RATES)
    weights = [RATES[n] for n in names]
    per_minute = sum(RATES.values())
    by_shard: dict[str, list[SourceRecord]] = {f"shardId-{i:012d}": [] for i in range(shards)}
    seq = 10**55
    events = line_bytes = record_bytes = 0
    event_id = 0
    for second in range(minutes * 60):
        n = rng.poisson(users * per_minute / 60) if hasattr(rng, "poisson") else int(users * per_minute / 60)
        per_task: list[list[dict[str, Any]]] = [[] for _ in range(COLLECTOR_TASKS)]
        for _ in range(n):
            name = rng.choices(names, weights)[0]
            user = rng.randrange(users)
            ts = START_MS + second * 1000 + rng.randrange(1000)
            msg = restamp(rng, docs[name], user, ts, rng.randrange(200))
            per_task[user % COLLECTOR_TASKS].append({"id": str(event_id), "timestamp": ts, "message": msg})
            event_id += 1
            events += 1
            line_bytes += len(msg)
        for task, batch in enumerate(per_task):
            if not batch:
                continue
            batch.sort(key=lambda e: e["timestamp"])
            env = {
                "messageType": "DATA_MESSAGE",
                "owner": "123456789012",
                "logGroup": "/aws/claude-code/events",
                "logStream": f"events-task{task}",
                "subscriptionFilters": ["claude-code-events-to-kinesis"],
                "logEvents": batch,
            }
            data = gzip.compress(json.dumps(env).encode())
            record_bytes += len(data)
            shard = rng.choice(list(by_shard))
            seq += 1
            arrival = START_MS + (second + 1) * 1000 + 800
            by_shard[shard].append(SourceRecord(shard, seq, 0, f"pk{seq}", data, arrival))
    return Workload(by_shard, events, line_bytes, record_bytes)


def throughput(w: Workload) -> dict[str, float]:
    records = [r for recs in w.records.values() for r in recs]
    t0 = time.perf_counter()
    for r in records:
        env = json.loads(gzip.decompress(r.data))
        for e in env["logEvents"]:
            json.loads(e["message"])
    naive = time.perf_counter() - t0
    t0 = time.perf_counter()
    for r in records:
        decode_record(r)
    envelope = time.perf_counter() - t0
    stores = CountingStores()
    t0 = time.perf_counter()
    for shard, recs in w.records.items():
        pipe = EventsPipeline("events", shard, stores.stores(), Tunables(), clock_ms=lambda: 0)
        for i in range(0, len(recs), 40):
            pipe.process(recs[i : i + 40])
        pipe.flush(force=True)
    pipeline = time.perf_counter() - t0
    return {
        "counted": _counted(stores),
        "events_per_s": w.events / pipeline,
        "naive_json_events_per_s": w.events / naive,
        "envelope_only_events_per_s": w.events / envelope,
        "vs_naive": naive / pipeline,
        "vs_envelope_floor": envelope / pipeline,
    }


def _counted(stores: CountingStores) -> int:
    """Events in the 1d window rows (each event is counted once there, in its window row's `events`)."""
    total = 0
    for (_, key), item in stores.items.items():
        if key.size == "1d" and key.bucket == 0:
            total += sum(decode_doc(item["data"])["events"].values())
    return total


class LakeCounter:
    def __init__(self) -> None:
        self.puts = 0
        self.bytes = 0

    def put_object(self, Bucket: str, Key: str, Body: bytes) -> dict[str, Any]:
        self.puts += 1
        self.bytes += len(Body)
        return {}


def amplification(w: Workload) -> dict[str, float]:
    stores, clock, s3 = CountingStores(), SimClock(), LakeCounter()
    pipes = {
        shard: EventsPipeline(
            "events", shard, stores.stores(), Tunables(), clock_ms=clock, lake=EventsLake(s3, "lake", shard)
        )
        for shard in w.records
    }
    drive_like_kcl(pipes, w.records, clock)  # type: ignore[arg-type]  # same interface as ShardPipeline
    tally = stores.tally
    per = 1000 / w.events
    rows = {k: v for k, v in tally.requests.items() if k.startswith("row.")}
    return {
        "ddb_requests_per_1000": sum(tally.requests.values()) * per,
        "ddb_units_per_1000": sum(tally.units.values()) * per,
        "row_requests_per_1000": sum(rows.values()) * per,
        "dedup_per_1000": tally.requests["dedup"] * per,
        "snapshot_per_1000": tally.requests["snapshot"] * per,
        "lake_puts_per_1000": s3.puts * per,
        "lake_bytes_per_event": s3.bytes / w.events,
        **{f"{k}_per_1000": v * per for k, v in sorted(rows.items())},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, default=10_000)
    ap.add_argument("--minutes", type=int, default=5)
    ap.add_argument("--shards", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args(argv)
    print(machine_info().line())
    print(command_line())
    for shards in args.shards:
        w = build(args.users, args.minutes, shards)
        print(
            f"\n{args.users:,} developers, {args.minutes} min, {shards} shard(s): {w.events:,} events "
            f"({w.events / (args.minutes * 60):,.0f}/s), {w.line_bytes / w.events:,.0f} B per exporter line, "
            f"{w.record_bytes / (args.minutes * 60) / 1e3:,.1f} KB/s of gzip'd records into Kinesis "
            f"({w.record_bytes / max(1, w.line_bytes):.3f} of the line bytes)"
        )
        t = throughput(w)
        print(f"  check: events counted = events generated: {'ok' if t['counted'] == w.events else 'DIFFERENT'}")
        print(
            f"  throughput, one core: {t['events_per_s']:,.0f} events/s decode+aggregate; references: naive "
            f"gunzip+json.loads {t['naive_json_events_per_s']:,.0f}/s, envelope decode only "
            f"{t['envelope_only_events_per_s']:,.0f}/s (pipeline = {t['vs_naive']:.2f}x naive time ratio, "
            f"{t['vs_envelope_floor']:.2f}x the envelope floor)"
        )
        a = amplification(w)
        print(
            f"  writes per 1,000 events: DynamoDB {a['ddb_requests_per_1000']:.2f} requests "
            f"({a['ddb_units_per_1000']:.1f} write units): rows {a['row_requests_per_1000']:.2f}, dedup markers "
            f"{a['dedup_per_1000']:.2f}, snapshots {a['snapshot_per_1000']:.2f}; lake {a['lake_puts_per_1000']:.3f} "
            f"S3 PUTs, {a['lake_bytes_per_event']:.0f} Parquet bytes per event"
        )
        print(
            "  rows by kind per 1,000 events: "
            + ", ".join(f"{k[4:-9]} {v:.3f}" for k, v in a.items() if k.startswith("row."))
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
