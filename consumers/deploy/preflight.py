"""Checks before CloudFormation runs, so a missing credential or permission fails fast with a fix."""

from __future__ import annotations

from collections.abc import Mapping
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


class _Unsupported(Exception):
    """A rule uses a function this evaluator does not know; CloudFormation evaluates it instead."""


def failed_rules(rules: Mapping[str, Any], parameters: Mapping[str, str]) -> list[str]:
    """The AssertDescription of every template Rule assertion `parameters` break, in the template's order.

    CloudFormation checks Rules itself, but only once it is called (moto never does), so `ccstream deploy` checks
    them first: with every stack's preflight, before any stack changes. Supports Ref (parameters), Fn::Equals,
    Fn::Not, Fn::And, Fn::Or and Fn::Contains; a rule using anything else is left to CloudFormation.
    """
    failures = []
    for name, rule in rules.items():
        try:
            applies = "RuleCondition" not in rule or _holds(rule["RuleCondition"], parameters)
            for assertion in rule.get("Assertions") or []:
                if applies and not _holds(assertion["Assert"], parameters):
                    failures.append(str(assertion.get("AssertDescription") or f"rule {name} is not met"))
        except _Unsupported:
            continue
    return failures


def check_rules(stack: str, rules: Mapping[str, Any], parameters: Mapping[str, str]) -> None:
    """ConfigError naming every broken Rule of `stack`'s template, before CloudFormation is called."""
    failures = failed_rules(rules, parameters)
    if failures:
        raise ConfigError(f"the {stack} stack's parameters break its template's rules: " + " ".join(failures))


def _holds(expression: Any, parameters: Mapping[str, str]) -> bool:
    value = _value(expression, parameters)
    if not isinstance(value, bool):
        raise _Unsupported(expression)
    return value


def _value(expression: Any, parameters: Mapping[str, str]) -> Any:
    if isinstance(expression, str | bool):
        return expression
    if isinstance(expression, list):
        return [_value(e, parameters) for e in expression]
    if not isinstance(expression, dict) or len(expression) != 1:
        raise _Unsupported(expression)
    ((function, argument),) = expression.items()
    if function == "Ref" and argument in parameters:
        return parameters[argument]
    if function == "Fn::Equals":
        left, right = (_value(a, parameters) for a in argument)
        return left == right
    if function == "Fn::Not":
        return not _holds(argument[0], parameters)
    if function == "Fn::And":
        return all(_holds(a, parameters) for a in argument)
    if function == "Fn::Or":
        return any(_holds(a, parameters) for a in argument)
    if function == "Fn::Contains":
        values, wanted = (_value(a, parameters) for a in argument)
        return wanted in (values.split(",") if isinstance(values, str) else values)
    raise _Unsupported(expression)
