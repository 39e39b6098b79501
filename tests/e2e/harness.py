"""End-to-end harness: a deployed stack on the embedded emulator, records in, the real MultiLangDaemon, rows out."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.stack import environment  # the benchmarks' live stacks set their variables the same way
from consumers.aws import AwsTarget
from consumers.config import Names
from consumers.deploy.deployer import deploy
from consumers.kcl.runner import run_consumers, standard_apps
from consumers.query.reader import DynamoRowReader


@dataclass
class Stack:
    target: AwsTarget
    names: Names
    log_dir: Path

    @property
    def reader(self) -> DynamoRowReader:
        return DynamoRowReader(self.target.client("dynamodb"), self.names.table)

    def put_records(self, records: list[tuple[bytes, str]]) -> list[tuple[str, str]]:
        """PutRecords (data, partition key) in order; returns (shard id, sequence number) of each."""
        kinesis = self.target.client("kinesis")
        out = []
        for i in range(0, len(records), 100):
            chunk = records[i : i + 100]
            resp = kinesis.put_records(
                StreamName=self.names.stream, Records=[{"Data": d, "PartitionKey": k} for d, k in chunk]
            )
            assert resp.get("FailedRecordCount", 0) == 0
            out += [(r["ShardId"], r["SequenceNumber"]) for r in resp["Records"]]
        return out

    def consume(self, until_idle_s: float = 3.0, timeout_s: float = 240.0, max_restarts: int = 0) -> int:
        apps = standard_apps(self.names, "aggregator", "ccstream-e2e", self.target)
        return run_consumers(
            self.target,
            apps,
            log_dir=self.log_dir,
            until_idle_s=until_idle_s,
            timeout_s=timeout_s,
            poll_interval_s=0.5,
            max_restarts=max_restarts,
        )

    def lease_checkpoints(self) -> dict[str, str]:
        ddb = self.target.client("dynamodb")
        items = ddb.scan(TableName=self.names.consumer_app)["Items"]
        return {it["leaseKey"]["S"]: it["checkpoint"]["S"] for it in items}


@contextmanager
def deployed_stack(aws: AwsTarget, tmp_path: Path, **env: str) -> Iterator[Stack]:
    """Deploy the streaming stack under a unique prefix and point the processors' environment at it."""
    suffix = uuid.uuid4().hex[:6]
    # Own log group too: a log group takes at most two subscription filters (moto enforces it as AWS does).
    names = Names(prefix=f"e2e{suffix}", table=f"E2E{suffix}", log_group=f"/aws/claude-code/e2e{suffix}")
    settings = {
        "CCSTREAM_PREFIX": names.prefix,
        "CCSTREAM_TABLE": names.table,
        "CCSTREAM_LOG_GROUP": names.log_group,
        "CCSTREAM_FLUSH_INTERVAL_MS": "200",
        "CCSTREAM_USER_FLUSH_INTERVAL_MS": "400",
        "CCSTREAM_SIZE_FLUSH_INTERVALS": "1h=400,1d=400",
        **env,
    }
    with environment(**settings):
        deploy(aws, names, ["streaming"])
        yield Stack(aws, names, tmp_path / "logs")
