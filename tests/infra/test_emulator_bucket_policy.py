"""On the emulator the buckets stay writable over plain HTTP: the lake writer and the dead-letter sink can put."""

from __future__ import annotations

import uuid

import pytest

from consumers.aws import AwsTarget
from consumers.config import Names
from consumers.deploy.deployer import deploy
from consumers.deploy.fill.s3 import emulator_policy

pytestmark = pytest.mark.emulator


def test_tls_only_statement_is_dropped_and_the_rest_kept() -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TLS",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {"Sid": "Other", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:DeleteBucket", "Resource": "*"},
        ],
    }
    assert [s["Sid"] for s in emulator_policy(policy)["Statement"]] == ["Other"]


def test_deployed_dead_letter_bucket_accepts_writes(aws: AwsTarget) -> None:
    suffix = uuid.uuid4().hex[:6]
    names = Names(prefix=f"bp{suffix}", table=f"BP{suffix}", log_group=f"/aws/claude-code/bp{suffix}")
    result = deploy(aws, names, ["streaming"])
    bucket = names.deadletter_bucket(result.account, aws.region)
    s3 = aws.client("s3")
    s3.put_object(Bucket=bucket, Key="deadletter/x/y.json", Body=b"{}")
    assert s3.get_object(Bucket=bucket, Key="deadletter/x/y.json")["Body"].read() == b"{}"
