"""`ccstream consume --until-idle 5` exits once the stream is drained, with the PRODUCTION flush intervals (1h rows
every 60 s, 1d rows every 300 s, user rows every 30 s): the processors' idle flush writes every open row and
checkpoints, so every shard's checkpoint reaches its last sequence number and the idle clock can start.

Run as a user runs it: a child `ccstream consume` against a deployed stack on the emulator, after the midnight
fixture was put into the stream. Expected checkpoints come from the PutRecords answers; expected aggregates from
the independent reading of the fixture (tests/e2e/independent.py). The elapsed time is printed, not asserted: the
pytest timeout (well under the 300 s 1d flush interval plus start-up) is what fails when idle is never reached.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from importlib import util
from pathlib import Path

import pytest

from consumers.aws import AwsTarget
from consumers.query.reader import DynamoRowReader
from tests.e2e.independent import midnight_points
from tests.e2e.test_aggregator_e2e import assert_aggregates
from tests.kcl.cli_run import CCSTREAM, cli_stack

pytestmark = [
    pytest.mark.kcl,
    pytest.mark.emulator,
    pytest.mark.skipif(shutil.which("java") is None, reason="needs a Java runtime"),
    pytest.mark.skipif(util.find_spec("amazon_kclpy") is None, reason="needs amazon_kclpy: make setup"),
]


@pytest.mark.timeout(240)
def test_until_idle_exits_after_the_drain_with_production_flush_intervals(aws: AwsTarget, tmp_path: Path) -> None:
    with cli_stack(aws) as stack:
        assert not any(k.endswith("FLUSH_INTERVAL_MS") or k.endswith("FLUSH_INTERVALS") for k in stack.env)
        last = stack.put_fixture("midnight.kinesis.jsonl")
        argv = [CCSTREAM, "consume", "--app", "all", "--until-idle", "5", "--log-dir", str(tmp_path / "logs")]
        started = time.monotonic()
        done = subprocess.run(argv, env=stack.env, capture_output=True, text=True, timeout=230, check=False)
        elapsed = time.monotonic() - started
        final = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
        print(f"\nconsume --until-idle 5 exited {done.returncode} after {elapsed:.1f} s: {final}")
        logs = [p.read_text()[-4000:] for p in (tmp_path / "logs").glob("*.log")]
        assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-2000:], logs)
        assert "idle: every shard drained and checkpointed" in done.stdout
        assert stack.checkpoints(stack.names.consumer_app) == last
        assert stack.checkpoints(stack.names.lake_app) == last  # the lake writer flushed on idle too
        points = midnight_points()
        assert_aggregates(DynamoRowReader(aws.client("dynamodb"), stack.names.table), points)
