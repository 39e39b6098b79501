"""The whole hostile corpus (tests/hostile/corpus.py) through the real record processor, over amazon_kclpy's stdio
protocol, against the emulator: wrong JSON types in every field of the envelope and of the EMF line, a gzip bomb,
skewed clocks and the review's cases, each mixed with good lines, each case one KCL batch. Then the same corpus
through Kinesis and the real Java MultiLangDaemon (`kcl`).

For every case: the checkpoint reaches its last record; the good lines aggregate exactly (the corpus says, line by
line, what each adds to which minute); every bad item is a dead letter with the reason the corpus names (read back
from the dead-letter bucket, matched by record and event); the shard's counters agree with the letters.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest

from consumers.aws import AwsTarget
from consumers.config import Tunables
from consumers.kcl.processor import AggregatorProcessor
from consumers.query.api import query_metric
from consumers.query.reader import DynamoRowReader
from tests.e2e.harness import deployed_stack
from tests.hostile.corpus import COMMITS, T0, Corpus, build
from tests.kcl_processor.stdio import batches_then_shutdown, kcl_record, run_stdio
from tests.kcl_processor.test_hostile_shard import checkpoints, latest_counters, make_settings
from tests.kcl_processor.test_processor_stdio import SHARD

pytestmark = pytest.mark.emulator
FIRST_SEQ = 10**50
#: Limits lowered so the corpus reaches them with a few hundred lines (the defaults are covered at full size by
#: tests/kcl_processor/test_hostile_shard.py).
LIMITED = Tunables(
    flush_interval_ms=0,
    user_flush_interval_ms=0,
    size_flush_interval_ms={},
    max_groups_per_window=50,
    max_sessions_per_user=20,
)


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return build()


def letters_by_item(
    aws: AwsTarget, bucket: str, seq_of: dict[int, int] | None = None
) -> tuple[dict[tuple[int, int], tuple[str, ...]], list[dict]]:
    """Dead letters by (corpus record, event index); `seq_of` maps sequence numbers to record indices (else the
    sequence numbers are FIRST_SEQ + index)."""
    s3 = aws.client("s3")
    docs = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read().decode()
            docs += [json.loads(line) for line in body.splitlines()]
    got: dict[tuple[int, int], list[str]] = {}
    for d in docs:
        seq = int(d["sequence_number"])
        record = seq_of[seq] if seq_of is not None else seq - FIRST_SEQ
        got.setdefault((record, d["index"]), []).append(d["reason"])
    return {k: tuple(sorted(v)) for k, v in got.items()}, docs


def test_hostile_corpus_through_the_processor(aws: AwsTarget, corpus: Corpus) -> None:
    settings = make_settings(aws, LIMITED)
    batches = [
        [kcl_record(FIRST_SEQ + i, corpus.records[i].data, corpus.records[i].arrival_ms) for i in indices]
        for indices in corpus.cases.values()
    ]
    ends = [recs[-1]["sequenceNumber"] for recs in batches]
    out = run_stdio(AggregatorProcessor(settings), batches_then_shutdown(SHARD, batches))

    # every case's batch was checkpointed at its last record: nothing held the shard
    assert checkpoints(out) == ends

    # good data, exactly: per minute, per hour, per day
    reader = DynamoRowReader(settings.target.client("dynamodb"), settings.names.table)
    expected = corpus.expected_minutes()
    lo, hi = T0 - 86_400_000, T0 + 2 * 86_400_000
    got = {r.window_start_ms: r.value for r in query_metric(reader, COMMITS, "1m", (), lo, hi)}
    assert got == expected
    for size, ms in (("1h", 3_600_000), ("1d", 86_400_000)):
        totals: Counter[int] = Counter()
        for minute, v in expected.items():
            totals[minute - minute % ms] += v
        assert {r.window_start_ms: r.value for r in query_metric(reader, COMMITS, size, (), lo, hi)} == totals

    # every bad item is a dead letter with its reason, and nothing else is
    got_letters, docs = letters_by_item(aws, settings.deadletter_bucket)
    assert got_letters == corpus.expected_letters()
    assert all(d["payload"] is not None and d["reason"] for d in docs)
    counters = latest_counters(settings)
    by_reason = Counter(d["reason"] for d in docs)
    assert {k[len("dead_letters.") :]: v for k, v in counters.items() if k.startswith("dead_letters.")} == by_reason
    # the limits the corpus reaches are counted
    assert counters["limits.groups_overflow.1m"] > 0 and counters["limits.sessions_approximate.1m"] >= 1
    by_dep = {r.labels["department"]: r.value for r in query_metric(reader, COMMITS, "1m", ("department",), lo, hi)}
    assert by_dep["__other__"] == counters["limits.groups_overflow.1m"]


@pytest.mark.kcl
def test_hostile_corpus_through_kinesis_and_the_real_daemon(aws: AwsTarget, tmp_path: Path) -> None:
    """PutRecords of the whole corpus (one partition key: one shard, in order, as one log stream's deliveries
    are), then `consume --until-idle` with the real MultiLangDaemon: the lease checkpoint ends at the last record,
    the good lines aggregate exactly and every bad item is the dead letter the corpus names."""
    now = int(time.time() * 1000)
    corpus = build(now - 2 * 3_600_000)
    limits = {"CCSTREAM_MAX_GROUPS_PER_WINDOW": "50", "CCSTREAM_MAX_SESSIONS_PER_USER": "20"}
    with deployed_stack(aws, tmp_path, **limits) as stack:
        placed = stack.put_records([(r.data, "hostile") for r in corpus.records])
        ((shard,),) = [{shard for shard, _ in placed}]
        assert stack.consume(until_idle_s=3, timeout_s=300) == 0
        assert stack.lease_checkpoints()[shard] == placed[-1][1]  # the other shard got nothing: TRIM_HORIZON
        lo, hi = now - 86_400_000 * 4, now + 86_400_000
        got = {r.window_start_ms: r.value for r in query_metric(stack.reader, COMMITS, "1m", (), lo, hi)}
        assert got == corpus.expected_minutes()
        bucket = stack.names.deadletter_bucket("123456789012", aws.region)
        seq_of = {int(seq): n for n, (_, seq) in enumerate(placed)}
        got_letters, _ = letters_by_item(aws, bucket, seq_of)
        assert got_letters == corpus.expected_letters()
