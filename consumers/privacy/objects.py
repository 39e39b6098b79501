"""Rewriting one S3 object so that nothing of a removed part survives: the buckets are versioned, so after a
rewrite (or delete) every other version of the key, and its delete markers, are deleted by version id."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from consumers.errors import ConfigError


def list_keys(s3: Any, bucket: str, prefix: str, suffix: str = "") -> Iterator[str]:
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                if obj["Key"].endswith(suffix):
                    yield obj["Key"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "NoSuchBucket":
            raise


def bucket_exists(s3: Any, bucket: str) -> bool:
    """False only when the bucket does not exist; no permission is an error (never a silent skip)."""
    try:
        s3.get_bucket_location(Bucket=bucket)  # not HeadBucket: HEAD fails on the embedded emulator
        return True
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code == "NoSuchBucket":
            return False
        if code in ("AccessDenied", "403"):
            raise ConfigError(
                f"no access to s3://{bucket}: attach the <prefix>-privacy-operator policy (README Privacy)"
            ) from exc
        raise


class Archived(Exception):
    """The object is in an archive storage class (the lake moves to Glacier after 90 days): restore it first."""


def read(s3: Any, bucket: str, key: str) -> bytes:
    try:
        return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "InvalidObjectState":
            raise Archived(key) from exc
        raise


def replace(s3: Any, bucket: str, key: str, body: bytes | None, content_type: str) -> int:
    """Put `body` as the only version of `key` (None: remove the key entirely). Returns old versions deleted."""
    if body is None:
        s3.delete_object(Bucket=bucket, Key=key)
        return purge_versions(s3, bucket, key, None)
    keep = s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type).get("VersionId")
    return 0 if keep is None else purge_versions(s3, bucket, key, keep)  # unversioned: the put replaced it


def purge_versions(s3: Any, bucket: str, key: str, keep: str | None) -> int:
    """Delete every version and delete marker of `key` except `keep`. Returns how many were deleted."""
    versions: list[str] = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key):
        for entry in page.get("Versions", []) + page.get("DeleteMarkers", []):
            if entry["Key"] == key and entry.get("VersionId") and entry["VersionId"] != keep:
                versions.append(entry["VersionId"])
    for version in versions:
        s3.delete_object(Bucket=bucket, Key=key, VersionId=version)
    return len(versions)
