"""A forget during consumption sticks, with the real KCL MultiLangDaemon: `ccstream consume --app all` runs the
aggregator and the lake writer against a deployed stack; records 1-4 of the real collector's capture are
consumed; `ccstream forget` runs while both hold Sofia's open rows in memory; the rest (more of her, same hour and
day) arrives; once both applications have checkpointed the last record, nothing of her is left anywhere and every
other total equals the independent computation."""

from __future__ import annotations

import base64
import json
import shutil
import signal
import subprocess
import time
from importlib import util
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from consumers.aws import AwsTarget
from consumers.rollup import rollup_user_days
from tests.kcl.cli_run import CCSTREAM, cli_stack
from tests.privacy.world import World, fixture_records, points_of, user_of

pytestmark = [
    pytest.mark.kcl,
    pytest.mark.emulator,
    pytest.mark.skipif(shutil.which("java") is None, reason="needs a Java runtime"),
    pytest.mark.skipif(util.find_spec("amazon_kclpy") is None, reason="needs amazon_kclpy: make setup"),
]

SOFIA = "sofia.doe5@example.com"
FAST = {
    "CCSTREAM_FLUSH_INTERVAL_MS": "200",
    "CCSTREAM_USER_FLUSH_INTERVAL_MS": "300",
    "CCSTREAM_SIZE_FLUSH_INTERVALS": "1h=300,1d=300",
    "CCSTREAM_LAKE_FLUSH_INTERVAL_MS": "500",
    "CCSTREAM_IDLE_FLUSH_MS": "1000",
    "CCSTREAM_FORGET_REFRESH_MS": "200",
    "CCSTREAM_PUBLISH_METRICS": "0",
}


def _put(aws: AwsTarget, stream: str, records: list[dict[str, str]]) -> dict[str, int]:
    answer = aws.client("kinesis").put_records(
        StreamName=stream,
        Records=[{"Data": base64.b64decode(r["Data"]), "PartitionKey": r["PartitionKey"]} for r in records],
    )
    assert answer.get("FailedRecordCount", 0) == 0
    last: dict[str, int] = {}
    for r in answer["Records"]:
        last[r["ShardId"]] = max(last.get(r["ShardId"], 0), int(r["SequenceNumber"]))
    return last


def _wait_checkpointed(stack: object, last: dict[str, int], proc: subprocess.Popen[str], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, "ccstream consume exited"
        done = True
        for app in (stack.names.consumer_app, stack.names.lake_app):  # type: ignore[attr-defined]
            try:
                cps = stack.checkpoints(app)  # type: ignore[attr-defined]
            except ClientError:  # the daemon creates the lease table when it starts
                cps = {}
            done &= all(cps.get(s, "0").isdigit() and int(cps.get(s, "0")) >= seq for s, seq in last.items())
        if done:
            return
        time.sleep(1)
    raise AssertionError(f"not checkpointed at {last} after {timeout_s} s")


@pytest.mark.timeout(420)
def test_forget_while_the_daemon_consumes_sticks(aws: AwsTarget, tmp_path: Path) -> None:
    with cli_stack(aws, **FAST) as stack:
        account = aws.client("sts").get_caller_identity()["Account"]
        world = World(
            aws,
            stack.names,
            stack.names.lake_bucket(account, aws.region),
            stack.names.deadletter_bucket(account, aws.region),
        )
        records = fixture_records()
        points = points_of(records)
        env = {**stack.env, "CCSTREAM_LAKE_BUCKET": world.lake_bucket}
        argv = [CCSTREAM, "consume", "--app", "all", "--log-dir", str(tmp_path / "logs")]
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            first = _put(aws, stack.names.stream, records[:4])
            _wait_checkpointed(stack, first, proc, 240)
            mine = [p for p in points if user_of(p) == SOFIA]
            needles = {SOFIA} | {p.attrs["session.id"] for p in mine}
            assert world.leftovers(needles), "Sofia's first records must have been written"

            forget = subprocess.run(
                [CCSTREAM, "forget", SOFIA, "--json", "--grace", "1"],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert forget.returncode == 0, forget.stderr
            report = json.loads(forget.stdout)
            assert report["dynamodb"]["user_entries_removed"] > 0 and report["lake"]["rows_removed"] > 0

            rest = _put(aws, stack.names.stream, records[4:])
            _wait_checkpointed(stack, rest, proc, 120)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        rollup_user_days(world.reader, aws.client("dynamodb"), stack.names.table, *world.span(points))
        assert world.leftovers(needles) == []
        kept = [p for p in points if user_of(p) != SOFIA]
        world.assert_group_totals(points)
        world.assert_people(kept, {SOFIA})
        world.assert_lake(kept)
