"""Which bucket holds the lake, an S3 client that works on the embedded emulator, and creating the bucket there."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError
from botocore.handlers import add_expect_header

from consumers.aws import AwsTarget
from consumers.config import Names
from consumers.errors import ConfigError

BUCKET_ENV = "CCSTREAM_LAKE_BUCKET"


def lake_bucket(target: AwsTarget, names: Names, env: Mapping[str, str] | None = None) -> str:
    """$CCSTREAM_LAKE_BUCKET, else `Names.lake_bucket(account, region)` (account from STS)."""
    override = (env if env is not None else os.environ).get(BUCKET_ENV)
    if override:
        return override
    try:
        account = target.client("sts").get_caller_identity()["Account"]
    except ClientError as exc:
        raise ConfigError(
            f"cannot find the AWS account for the lake bucket ({exc}); set {BUCKET_ENV} or fix the credentials"
        ) from exc
    return names.lake_bucket(account, target.region)


def s3_client(target: AwsTarget) -> Any:
    """An S3 client for `target`. On an emulator it does not send `Expect: 100-continue`.

    The embedded emulator (hypercorn) answers that header with `HTTP/1.1 100 ` (no reason phrase), which botocore
    does not recognise, so every PutObject with a body fails with ConnectionClosedError. Real S3 is unaffected.
    """
    client = target.client("s3")
    if target.is_emulator:
        client.meta.events.unregister("before-call.s3", add_expect_header)
    return client


def ensure_bucket(s3: Any, bucket: str, region: str, *, create: bool) -> None:
    """Check the bucket exists; create it when `create` (emulators), else raise ConfigError with the fix.

    Uses GetBucketLocation, not HeadBucket: HEAD requests fail with 500 on the embedded emulator.
    """
    try:
        s3.get_bucket_location(Bucket=bucket)
        return
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "NoSuchBucket":
            raise
    if not create:
        raise ConfigError(f"lake bucket {bucket} does not exist: deploy infra/analytics.yaml or set {BUCKET_ENV}")
    kwargs: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**kwargs)
