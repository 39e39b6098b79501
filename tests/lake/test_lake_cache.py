"""The local mirror of the lake bucket equals the bucket after every sync (new, changed and deleted objects)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from consumers.aws import AwsTarget
from consumers.errors import ConfigError
from consumers.lake.bucket import ensure_bucket, s3_client
from consumers.lake.cache import sync_lake


def test_sync_downloads_changes_and_removes_deleted(aws: AwsTarget, tmp_path: Path) -> None:
    s3 = s3_client(aws)
    bucket = f"mirror-{uuid.uuid4().hex[:10]}"
    ensure_bucket(s3, bucket, aws.region, create=True)
    a, b = "metrics/year=2026/month=01/day=02/hour=03/a.parquet", "metrics/year=2026/month=01/day=02/hour=04/b.parquet"
    s3.put_object(Bucket=bucket, Key=a, Body=b"A1")
    s3.put_object(Bucket=bucket, Key=b, Body=b"B1")
    s3.put_object(Bucket=bucket, Key="errors/transform/x.jsonl", Body=b"{}")  # not mirrored

    first = sync_lake(s3, bucket, tmp_path)
    assert (first.objects, first.downloaded, first.removed) == (2, 2, 0)
    assert (tmp_path / a).read_bytes() == b"A1" and (tmp_path / b).read_bytes() == b"B1"
    assert not (tmp_path / "errors").exists()

    again = sync_lake(s3, bucket, tmp_path)
    assert again.downloaded == 0

    s3.put_object(Bucket=bucket, Key=a, Body=b"A2")  # replaced (a replay overwrote it)
    s3.delete_object(Bucket=bucket, Key=b)
    (tmp_path / "metrics/year=2026/month=01/day=02/hour=05").mkdir(parents=True)
    (tmp_path / "metrics/year=2026/month=01/day=02/hour=05/stray.parquet").write_bytes(b"old emulator run")
    third = sync_lake(s3, bucket, tmp_path)
    assert (third.objects, third.downloaded, third.removed) == (1, 1, 2)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.parquet")) == [a]
    assert (tmp_path / a).read_bytes() == b"A2"


def test_missing_bucket_is_a_config_error_with_the_fix(aws: AwsTarget, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        sync_lake(s3_client(aws), f"nope-{uuid.uuid4().hex[:8]}", tmp_path)
    with pytest.raises(ConfigError, match=r"deploy infra/analytics\.yaml"):
        ensure_bucket(s3_client(aws), f"nope-{uuid.uuid4().hex[:8]}", aws.region, create=False)
