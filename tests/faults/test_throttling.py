"""DynamoDB throttling on 20 % of calls, and lost responses after applied writes: nothing lost, nothing doubled."""

from __future__ import annotations

import random
import uuid

import pytest

from consumers.aws import AwsTarget
from consumers.query.reader import DynamoRowReader
from tests.core import test_pipeline_exactly_once as scenario
from tests.core.tables import create_metrics_table
from tests.core.test_dynamo_contract import CrashingDynamo, _reader_check
from tests.faults.injection import FaultInjector

pytestmark = pytest.mark.emulator


def test_throttled_and_lost_responses_are_exact(aws: AwsTarget, monkeypatch: pytest.MonkeyPatch) -> None:
    clean = aws.client("dynamodb")
    table = f"t-{uuid.uuid4().hex[:8]}"
    create_metrics_table(clean, table)
    faults = FaultInjector(throttle_rate=0.2, lost_response_rate=0.05, seed=3)
    client = faults.attach(aws.client("dynamodb", retries={"max_attempts": 1, "mode": "standard"}))
    by_shard, points = scenario.build_shards(77, 24)
    stores = CrashingDynamo(client, table)
    run = scenario.consume(by_shard, stores, random.Random(5), crash_rate=0.2)
    assert faults.throttled > 10 and faults.lost > 1, (faults.throttled, faults.lost, faults.calls)
    assert run.crashes > 0 and run.mid_stream_restarts > 0, run  # replays really started mid-stream
    _reader_check(monkeypatch, DynamoRowReader(clean, table), points)
