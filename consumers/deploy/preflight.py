"""Checks before CloudFormation runs, so a missing credential or permission fails fast with a fix."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from consumers.aws import AwsTarget
from consumers.errors import ConfigError


def caller_identity(sts: Any, target: AwsTarget) -> dict[str, str]:
    """Account and ARN of whoever deploys; ConfigError with the fix when there are no usable credentials."""
    try:
        identity = sts.get_caller_identity()
    except NoCredentialsError as exc:
        raise ConfigError(
            "no AWS credentials found: run `aws configure` or `aws sso login`, or set AWS_PROFILE "
            "(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), then deploy again."
        ) from exc
    except (ClientError, BotoCoreError) as exc:
        where = target.endpoint_url or f"AWS ({target.region})"
        raise ConfigError(f"cannot reach STS at {where}: {exc}. Check credentials and --endpoint-url.") from exc
    return {"account": str(identity["Account"]), "arn": str(identity["Arn"])}


def log_group_exists(logs: Any, name: str) -> bool:
    groups = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    return any(g["logGroupName"] == name for g in groups)


def emulator_certificate(acm: Any, domain: str) -> str:
    """An ACM certificate ARN for the collector's HTTPS listener on an emulator (reused when it exists)."""
    for summary in acm.list_certificates()["CertificateSummaryList"]:
        if summary["DomainName"] == domain:
            return str(summary["CertificateArn"])
    return str(acm.request_certificate(DomainName=domain, ValidationMethod="DNS")["CertificateArn"])


def role_arn_of(caller_arn: str) -> str:
    """`arn:aws:sts::1:assumed-role/R/session` → `arn:aws:iam::1:role/R` (how Lake Formation names admins)."""
    if ":assumed-role/" not in caller_arn:
        return caller_arn
    head, _, rest = caller_arn.partition(":assumed-role/")
    partition_and_account = head.replace(":sts:", ":iam:")
    return f"{partition_and_account}:role/{rest.split('/')[0]}"


def check_lake_formation(lakeformation: Any, caller_arn: str) -> None:
    """Raise ConfigError when Lake Formation governs the catalog and the caller may not create databases.

    With Lake Formation's default settings (IAM_ALLOWED_PRINCIPALS gets ALL on new databases) IAM alone decides
    and nothing is checked. If the settings cannot be read, CloudFormation will report the real error.
    """
    try:
        settings = lakeformation.get_data_lake_settings()["DataLakeSettings"]
    except (ClientError, BotoCoreError):
        return
    defaults = settings.get("CreateDatabaseDefaultPermissions") or []
    iam_governed = any(
        p.get("Principal", {}).get("DataLakePrincipalIdentifier") == "IAM_ALLOWED_PRINCIPALS" for p in defaults
    )
    if iam_governed:
        return
    admins = {a.get("DataLakePrincipalIdentifier") for a in settings.get("DataLakeAdmins") or []}
    if role_arn_of(caller_arn) in admins or caller_arn in admins:
        return
    raise ConfigError(
        "Lake Formation governs this account's Glue Data Catalog and "
        f"{caller_arn} is not a data lake administrator, so the analytics stack cannot create its Glue "
        "database. Fix: add it under Lake Formation → Administrative roles and tasks, or run "
        f"`aws lakeformation grant-permissions --principal DataLakePrincipalIdentifier={role_arn_of(caller_arn)} "
        "--permissions CREATE_DATABASE --resource '{\"Catalog\":{}}'`; or deploy without analytics "
        "(--stacks networking,monitoring,streaming,dashboard)."
    )
