"""The simulated developers' events (`consumers/generate/otlp_events.py`, what `ccstream up` sends) agree with their
own metrics, and go through the real collector into the events pipeline exactly (oracle: the OTLP sent)."""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from pathlib import Path

import pytest

from consumers.aws import AwsTarget
from consumers.events_pipeline import EventsPipeline
from consumers.generate.otlp import requests_of
from consumers.generate.otlp_events import LOGS_PATH, encode_logs_request, logs_request_of
from consumers.generate.sender import OtlpSender
from consumers.generate.simulator import simulate_exports
from consumers.model import SourceRecord
from consumers.query.events import query_events
from consumers.query.reader import MemoryRowReader
from consumers.sink.memory import MemoryStores
from schemas import catalogue as cat
from tests.events import oracle
from tests.events.generator import envelope
from tests.generate.collector_env import free_port, start_test_collector

USERS, MINUTES, SEED = 30, 4, 5


def test_events_carry_the_metrics_cost_and_tokens() -> None:
    start = 1_796_320_800_000
    cost: Counter[str] = Counter()
    tokens: Counter[tuple[str, str]] = Counter()
    decisions = 0
    for batch in simulate_exports(USERS, MINUTES, start, SEED):
        for export in batch:
            for key, values in export.series.items():
                labels = dict(key)
                if cat.COST_USAGE in values:
                    cost[labels["model"]] += round(values[cat.COST_USAGE] * 1e6)
                if cat.TOKEN_USAGE in values:
                    tokens[(labels["model"], labels["type"])] += int(values[cat.TOKEN_USAGE])
                decisions += int(values.get(cat.CODE_EDIT_DECISION, 0))
            doc = logs_request_of(export)
            if doc is None:
                continue
            for e in oracle.from_otlp([doc]):
                a = e["attrs"]
                if e["name"] == "api_request":
                    cost[a["model"]] -= a["cost_usd_micros"]
                    for t, f in (
                        ("input", "input_tokens"),
                        ("output", "output_tokens"),
                        ("cacheRead", "cache_read_tokens"),
                        ("cacheCreation", "cache_creation_tokens"),
                    ):
                        tokens[(a["model"], t)] -= a.get(f, 0)
                decisions -= e["name"] == "tool_decision"
    assert set(cost.values()) == {0} and set(tokens.values()) == {0} and decisions == 0


@pytest.mark.emulator
def test_simulated_events_through_the_real_collector_aggregate_exactly(aws: AwsTarget, tmp_path: Path) -> None:
    now = int(time.time() * 1000)
    start = now - now % 60_000 - (MINUTES + 2) * 60_000
    group = f"/aws/claude-code/gen-{now}"
    batches = list(simulate_exports(USERS, MINUTES, start, SEED))
    sent = [json.loads(b) for batch in batches for e in batch if (b := encode_logs_request(e)) is not None]
    with start_test_collector(aws, tmp_path, free_port(), group) as collector:
        metrics, logs = OtlpSender(collector.otlp_http_url), OtlpSender(collector.otlp_http_url, signal_path=LOGS_PATH)
        metrics.send_all([body for batch in batches for body in requests_of(batch)])
        logs.send_all([json.dumps(d).encode() for d in sent])
        metrics.close()
        logs.close()
    log = aws.client("logs")
    lines = []
    for page in log.get_paginator("filter_log_events").paginate(logGroupName=f"{group}-events"):
        lines += [(e["timestamp"], e["message"]) for e in page["events"]]
    events = list(oracle.from_otlp(sent))
    assert len(lines) == len(events) > 0
    rec = SourceRecord(
        "shardId-0", 1, 0, "pk", envelope("events-test", [(i, ts, m) for i, (ts, m) in enumerate(lines)]), now
    )
    stores = MemoryStores()
    pipe = EventsPipeline("events", "shardId-0", stores.stores())
    pipe.process([rec])
    pipe.flush(force=True)
    reader = MemoryRowReader(stores)
    lo, hi = start - 86_400_000, now + 86_400_000
    for name, field, stat, by in oracle.QUERIES:
        metric = f"events.{name}" + (f".{field}" if field else "")
        exp = oracle.expected(events, 3_600_000, name, field, stat, by)
        got = {
            (r.window_start_ms, *(r.labels[a] for a in by)): r.value
            for r in query_events(reader, metric, "1h", by, lo, hi, stat)
        }
        assert got.keys() == exp.keys(), (metric, stat, by)
        tol = 0.01 if stat.startswith("p") else 1e-12
        assert all(math.isclose(got[k], v, rel_tol=tol) for k, v in exp.items()), (metric, stat, by)
