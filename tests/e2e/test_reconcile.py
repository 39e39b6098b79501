"""Both KCL applications on one stream (aggregator → DynamoDB, lake writer → Parquet), then reconciliation:
zero differences over a replayed fixture, and an injected difference is found."""

from __future__ import annotations

from pathlib import Path

import pytest

from consumers.aggregates.partials import WindowPartial
from consumers.athena.totals import lake_totals
from consumers.aws import AwsTarget
from consumers.kcl.runner import run_consumers, standard_apps
from consumers.model import parse_position
from consumers.reconcile import compare, dynamodb_totals
from consumers.replay.replay import replay_paths
from consumers.sink.base import RowKey, RowWrite
from consumers.sink.dynamodb import DynamoStores
from tests.e2e.harness import deployed_stack
from tests.e2e.independent import FIXTURES, midnight_points

pytestmark = [pytest.mark.kcl, pytest.mark.emulator]


def test_reconcile_finds_nothing_then_the_injected_difference(aws: AwsTarget, tmp_path: Path) -> None:
    points = midnight_points()  # what the simulated CLI sent; the records are the real collector's lines
    lo, hi = min(p.ts for p in points), max(p.ts for p in points) + 1
    with deployed_stack(aws, tmp_path, CCSTREAM_LAKE_FLUSH_INTERVAL_MS="1000") as stack:
        replay_paths(aws, stack.names, [FIXTURES / "midnight.kinesis.jsonl"])
        apps = standard_apps(stack.names, "all", "ccstream-e2e", aws)
        assert run_consumers(aws, apps, log_dir=stack.log_dir, until_idle_s=3, timeout_s=300, poll_interval_s=0.5) == 0

        ddb = dynamodb_totals(stack.reader, "1h", lo - lo % 3_600_000, hi)
        lake = lake_totals(aws, stack.names, "1h", lo - lo % 3_600_000, hi, cache_dir=tmp_path / "lake")
        clean = compare(ddb, lake)
        assert clean.ok, clean.differences[:5]
        assert clean.compared > 20
        # the independent sum of one metric agrees with both
        tokens = sum(p.value for p in points if p.metric == "claude_code.token.usage")
        assert sum(v for (m, _), v in lake.items() if m == "claude_code.token.usage") == pytest.approx(tokens, rel=1e-9)

        # inject: one shard's 1h partial gains 5 commits
        client = aws.client("dynamodb")
        item = next(
            i
            for i in client.scan(TableName=stack.names.table)["Items"]
            if i.get("kind", {}).get("S") == "W" and i["window"]["S"] == "1h"
        )
        store = DynamoStores(client, stack.names.table)
        shard, start = item["shard"]["S"], int(item["start_ms"]["N"])
        ((key, row),) = store.load_rows(shard, [RowKey("W", "1h", start)]).items()
        partial = WindowPartial.from_doc(row.doc)
        partial.add(next(iter(partial.sigs)), "claude_code.commit.count", 5.0)
        seq, sub = parse_position(item["fence"]["S"])
        store.save_rows(shard, [RowWrite(key, (seq, sub + 1), partial.to_doc(), int(item["ttl"]["N"]))])

        injected = compare(dynamodb_totals(stack.reader, "1h", lo - lo % 3_600_000, hi), lake)
        assert [(d.metric, d.window_start_ms) for d in injected.differences] == [("claude_code.commit.count", start)]
        d = injected.differences[0]
        assert d.dynamodb - (d.lake or 0.0) == pytest.approx(5.0)
