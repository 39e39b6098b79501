"""End to end under the real KCL 2.5.8 MultiLangDaemon (Java) against the embedded emulator.

A 2-shard stream gets 50 records; `run_consumers` pre-seeds leases, starts the daemon with the tiny processor
`seq_processor.py` (records each sequence number, checkpoints each batch), waits until every shard is drained and
checkpointed and idle, then stops gracefully. Expected values come from the PutRecord answers, not from ccstream.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence
from importlib import util
from pathlib import Path

import pytest

from consumers.aws import AwsTarget
from consumers.kcl.drain import AppDrain
from consumers.kcl.leases import read_leases
from consumers.kcl.properties import KclApp
from consumers.kcl.runner import EXIT_IDLE, run_consumers
from tests.kcl.streams import create_stream, put_records, unique

PROCESSOR = Path(__file__).with_name("seq_processor.py")

pytestmark = [
    pytest.mark.kcl,
    pytest.mark.emulator,
    pytest.mark.skipif(shutil.which("java") is None, reason="needs a Java runtime"),
    pytest.mark.skipif(util.find_spec("amazon_kclpy") is None, reason="needs amazon_kclpy: make setup"),
]


@pytest.mark.timeout(240)
def test_real_daemon_processes_every_record_and_checkpoints_the_last(aws: AwsTarget, tmp_path: Path) -> None:
    kinesis, ddb = aws.client("kinesis"), aws.client("dynamodb")
    stream = create_stream(kinesis, shards=2)
    put = put_records(kinesis, stream, 50)
    out = tmp_path / "out"
    out.mkdir()
    app = KclApp(
        name=unique("kcl-e2e"),
        stream=stream,
        processor_command=(sys.executable, str(PROCESSOR), str(out)),
        worker_id="e2e-worker",
    )
    progress: list[Sequence[AppDrain]] = []

    code = run_consumers(
        aws,
        [app],
        log_dir=tmp_path / "logs",
        until_idle_s=3,
        poll_interval_s=1,
        timeout_s=180,
        on_progress=progress.append,
    )

    log = (tmp_path / "logs" / f"{app.name}.log").read_text()
    assert code == EXIT_IDLE, log[-3000:]
    seen: dict[tuple[str, str], str] = {}
    for path in out.glob("*.records"):
        for line in path.read_text().splitlines():
            shard, seq, data = line.split(" ")
            seen[(shard, seq)] = data
    assert seen == put.by_position

    leases = read_leases(ddb, app.name)
    assert {shard: lease.checkpoint for shard, lease in leases.items()} == put.last_by_shard
    assert all(lease.owner == "e2e-worker" for lease in leases.values())

    events = (out / "events").read_text().splitlines()
    assert sorted(e for e in events if e.endswith("shutdown_requested")) == sorted(
        f"{shard} shutdown_requested" for shard in put.last_by_shard
    )
    assert progress[0][0].drained_count < 2 <= progress[-1][0].drained_count
