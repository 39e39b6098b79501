"""S3: bucket settings moto's CloudFormation ignores (versioning, public access block, ownership, lifecycle,
logging) and bucket policies (a resource type it skips). Encryption is checked too: it drops BucketKeyEnabled."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from consumers.deploy.fill.base import FillContext, contains, error_code, is_true

_MISSING_CODES = {
    "NoSuchPublicAccessBlockConfiguration",
    "NoSuchLifecycleConfiguration",
    "OwnershipControlsNotFoundError",
    "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchBucketPolicy",
}


def _read(call: Callable[..., dict[str, Any]], bucket: str, key: str) -> Any:
    try:
        return call(Bucket=bucket).get(key)
    except ClientError as exc:
        if error_code(exc) in _MISSING_CODES:
            return None
        raise


def lifecycle_rules(cfn_rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """CloudFormation lifecycle rules → the PutBucketLifecycleConfiguration shape."""
    rules = []
    for rule in cfn_rules:
        out: dict[str, Any] = {"ID": rule["Id"], "Status": rule["Status"], "Filter": {"Prefix": rule.get("Prefix", "")}}
        if "ExpirationInDays" in rule:
            out["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
        if "NoncurrentVersionExpiration" in rule:
            out["NoncurrentVersionExpiration"] = {
                "NoncurrentDays": int(rule["NoncurrentVersionExpiration"]["NoncurrentDays"])
            }
        if "AbortIncompleteMultipartUpload" in rule:
            days = int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
            out["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": days}
        if "Transitions" in rule:
            out["Transitions"] = [
                {"Days": int(t["TransitionInDays"]), "StorageClass": t["StorageClass"]} for t in rule["Transitions"]
            ]
        if "NoncurrentVersionTransitions" in rule:
            out["NoncurrentVersionTransitions"] = [
                {"NoncurrentDays": int(t["TransitionInDays"]), "StorageClass": t["StorageClass"]}
                for t in rule["NoncurrentVersionTransitions"]
            ]
        rules.append(out)
    return rules


def _encryption(props: dict[str, Any]) -> dict[str, Any] | None:
    config = props.get("BucketEncryption")
    if not config:
        return None
    rules = []
    for rule in config["ServerSideEncryptionConfiguration"]:
        out: dict[str, Any] = {"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]}
        if "BucketKeyEnabled" in rule:
            out["BucketKeyEnabled"] = is_true(rule["BucketKeyEnabled"])
        rules.append(out)
    return {"Rules": rules}


def fill_bucket(ctx: FillContext, logical_id: str, props: dict[str, Any]) -> list[str]:
    s3 = ctx.client("s3")
    bucket = props["BucketName"]
    changes: list[str] = []

    def ensure(what: str, wanted: Any, current: Any, apply: Callable[[], Any]) -> None:
        if wanted is not None and not contains(wanted, current):
            apply()
            changes.append(f"{logical_id}: set {what} on s3://{bucket}")

    encryption = _encryption(props)
    ensure(
        "encryption",
        encryption,
        _read(s3.get_bucket_encryption, bucket, "ServerSideEncryptionConfiguration"),
        lambda: s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=encryption),
    )
    versioning = props.get("VersioningConfiguration")
    current_versioning = {"Status": s3.get_bucket_versioning(Bucket=bucket).get("Status", "")}
    ensure(
        "versioning",
        versioning,
        current_versioning,
        lambda: s3.put_bucket_versioning(
            Bucket=bucket, VersioningConfiguration={"Status": (versioning or {})["Status"]}
        ),
    )
    public_access = props.get("PublicAccessBlockConfiguration")
    ensure(
        "public access block",
        public_access,
        _read(s3.get_public_access_block, bucket, "PublicAccessBlockConfiguration"),
        lambda: s3.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration={k: is_true(v) for k, v in (public_access or {}).items()},
        ),
    )
    ownership = props.get("OwnershipControls")
    ensure(
        "ownership controls",
        ownership,
        _read(s3.get_bucket_ownership_controls, bucket, "OwnershipControls"),
        lambda: s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls=ownership),
    )
    lifecycle = props.get("LifecycleConfiguration")
    wanted_rules = lifecycle_rules(lifecycle["Rules"]) if lifecycle else None
    ensure(
        "lifecycle rules",
        wanted_rules,
        _read(s3.get_bucket_lifecycle_configuration, bucket, "Rules"),
        lambda: s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": wanted_rules}),
    )
    logging = props.get("LoggingConfiguration")
    wanted_logging = (
        {"TargetBucket": logging["DestinationBucketName"], "TargetPrefix": logging.get("LogFilePrefix", "")}
        if logging
        else None
    )
    ensure(
        "access logging",
        wanted_logging,
        s3.get_bucket_logging(Bucket=bucket).get("LoggingEnabled"),
        lambda: s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={"LoggingEnabled": wanted_logging}),
    )
    return changes


def _requires_tls(statement: dict[str, Any]) -> bool:
    cond = statement.get("Condition", {}).get("Bool", {})
    return statement.get("Effect") == "Deny" and str(cond.get("aws:SecureTransport", "")).lower() == "false"


def emulator_policy(policy: dict[str, Any]) -> dict[str, Any]:
    """The bucket policy as an emulator can honour it: without the TLS-only deny. Emulator endpoints are plain
    HTTP and moto evaluates `aws:SecureTransport`, so that statement would refuse every write (the lake writer and
    the dead-letter sink got 403). On AWS the template's policy applies as written."""
    return {**policy, "Statement": [st for st in policy.get("Statement", []) if not _requires_tls(st)]}


def fill_bucket_policy(ctx: FillContext, logical_id: str, props: dict[str, Any]) -> list[str]:
    s3 = ctx.client("s3")
    bucket = props["Bucket"]
    wanted = emulator_policy(props["PolicyDocument"])
    if not wanted["Statement"]:
        return []
    current_text = _read(s3.get_bucket_policy, bucket, "Policy")
    if current_text is not None and json.loads(current_text) == wanted:
        return []
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(wanted))
    return [f"{logical_id}: put bucket policy on s3://{bucket}"]


FILLERS = {"AWS::S3::Bucket": fill_bucket, "AWS::S3::BucketPolicy": fill_bucket_policy}
