"""Helpers for tests that run `ccstream consume` as a child process against a deployed stack on the emulator."""

from __future__ import annotations

import base64
import json
import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.stack import environment
from consumers.aws import AwsTarget
from consumers.config import Names
from consumers.deploy.deployer import deploy

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CCSTREAM = str(Path(sys.executable).parent / "ccstream")


@dataclass(frozen=True)
class CliStack:
    target: AwsTarget
    names: Names
    env: dict[str, str]

    def put_fixture(self, name: str) -> dict[str, str]:
        """PutRecords every line of a `*.kinesis.jsonl` fixture; returns each shard's last sequence number, taken
        from the PutRecords answers (not from ccstream)."""
        lines = [json.loads(x) for x in (FIXTURES / name).read_text().splitlines() if x.strip()]
        kinesis = self.target.client("kinesis")
        last: dict[str, str] = {}
        for i in range(0, len(lines), 100):
            part = lines[i : i + 100]
            chunk = [{"Data": base64.b64decode(r["Data"]), "PartitionKey": r["PartitionKey"]} for r in part]
            answer = kinesis.put_records(StreamName=self.names.stream, Records=chunk)
            assert answer.get("FailedRecordCount", 0) == 0
            for r in answer["Records"]:
                if r["ShardId"] not in last or int(r["SequenceNumber"]) > int(last[r["ShardId"]]):
                    last[r["ShardId"]] = r["SequenceNumber"]
        return last

    def checkpoints(self, app: str) -> dict[str, str]:
        items = self.target.client("dynamodb").scan(TableName=app, ConsistentRead=True)["Items"]
        return {it["leaseKey"]["S"]: it["checkpoint"]["S"] for it in items}


@contextmanager
def cli_stack(aws: AwsTarget, **extra: str) -> Iterator[CliStack]:
    """Deploy the streaming stack under a unique prefix; `env` is what a child `ccstream` needs to reach it, with
    no flush-interval overrides (the production defaults apply unless `extra` sets them)."""
    suffix = uuid.uuid4().hex[:6]
    names = Names(prefix=f"fh{suffix}", table=f"FH{suffix}", log_group=f"/aws/claude-code/fh{suffix}")
    settings = {"CCSTREAM_PREFIX": names.prefix, "CCSTREAM_TABLE": names.table, "CCSTREAM_LOG_GROUP": names.log_group}
    with environment(**settings):
        deploy(aws, names, ["streaming"])
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CCSTREAM_", "AWS_ENDPOINT"))}
    env = {**base, **settings, "AWS_ENDPOINT_URL": str(aws.endpoint_url), "AWS_REGION": aws.region, **extra}
    env.setdefault("AWS_ACCESS_KEY_ID", "test")
    env.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    env["CCSTREAM_PUBLISH_METRICS"] = env.get("CCSTREAM_PUBLISH_METRICS", "1")
    yield CliStack(aws, names, env)
