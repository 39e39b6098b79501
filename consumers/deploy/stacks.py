"""The stacks, their order, and where each parameter value comes from.

Order: (keys →) networking → monitoring → streaming → analytics → dashboard; the keys stack (customer managed
KMS keys) only when asked for, its outputs then wired into every stack's `*KmsKeyArn` parameters.
A stack's parameters are, from weakest to
strongest: template defaults, the values the deployed stack already has (like `aws cloudformation deploy`),
values wired from earlier stacks' outputs and from `Names`, `DeployOptions`, and explicit overrides.
Only parameters the template declares are sent.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from consumers.aws import AwsTarget
from consumers.config import Names
from consumers.deploy import preflight
from consumers.deploy.templates import load_template
from consumers.errors import ConfigError

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DeployOptions:
    """Choices a person makes at deploy time (None = keep the stack's current value or the template default)."""

    shard_count: int | None = None
    consumer_image: str | None = None
    certificate_arn: str | None = None
    alarm_email: str | None = None
    #: "plain" | "pseudonymous" (README "Privacy"); every stack declaring `IdentityMode` gets it.
    identity_mode: str | None = None
    #: consumer tasks at rest = ceil(shards / shards_per_task); autoscaling may add tasks up to one per shard.
    shards_per_task: int = 2
    #: stack key → {parameter: value}, applied last.
    parameters: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def as_parameters(self) -> dict[str, str]:
        values = {
            "ShardCount": None if self.shard_count is None else str(self.shard_count),
            "ConsumerImage": self.consumer_image,
            "CertificateArn": self.certificate_arn,
            "AlarmEmail": self.alarm_email,
            "IdentityMode": self.identity_mode,
        }
        return {k: v for k, v in values.items() if v is not None}


@dataclass(frozen=True)
class PrepareContext:
    """What a stack's preflight hook may look at."""

    target: AwsTarget
    names: Names
    options: DeployOptions
    caller_arn: str
    current_parameters: Mapping[str, str] | None  # None: the stack does not exist yet
    client: Callable[[str], Any]
    progress: Progress


@dataclass(frozen=True)
class StackSpec:
    """One stack: its template, the outputs it consumes, and an optional preflight hook."""

    key: str
    template_file: str
    summary: str
    inputs: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    prepare: Callable[[PrepareContext], dict[str, str]] | None = None
    #: values computed from the merged parameters (before explicit overrides).
    derive: Callable[[Mapping[str, str], DeployOptions], dict[str, str]] | None = None

    def stack_name(self, names: Names) -> str:
        return f"{names.prefix}-{self.key}"


def _prepare_monitoring(ctx: PrepareContext) -> dict[str, str]:
    out = {**_prepare_identity_keys(ctx), **_certificate(ctx), **_prefix_lists(ctx), **_collector_image(ctx)}
    # The template's Rules (an internet-facing collector needs OIDC; OIDC needs an audience and a JWKS URL;
    # pseudonyms need keys) are checked here, before any stack changes: moto ignores Rules.
    parameters = _checked_parameters(ctx, _MON, "monitoring.yaml", out)
    if parameters.get("OidcIssuer") and _networking_parameter(ctx, "NatGateways") == "none":
        ctx.progress(
            "warning: OIDC is on and the networking stack has no NAT gateways (NatGateways=none): the collector "
            f"tasks cannot reach the IdP's JWKS ({parameters.get('OidcJwksUrl')}) and will refuse every OIDC token "
            "unless your VPC routes there. Deploy with -p networking.NatGateways=per-az (infra/README.md, Network)."
        )
    return out


def _certificate(ctx: PrepareContext) -> dict[str, str]:
    """The listener's certificate: given or kept; on an emulator one is requested; on AWS a missing one is an error."""
    previous = (ctx.current_parameters or {}).get("CertificateArn", "")
    if ctx.options.certificate_arn or previous:
        return {}
    if ctx.target.is_emulator:
        domain = f"collector.{ctx.names.prefix}.ccstream.internal"
        return {"CertificateArn": preflight.emulator_certificate(ctx.client("acm"), domain)}
    raise ConfigError(
        "the monitoring stack needs an ACM certificate for the collector's HTTPS listener: pass "
        "--certificate-arn arn:aws:acm:<region>:<account>:certificate/<id> (request one with "
        "`aws acm request-certificate --domain-name otel.example.com --validation-method DNS`)."
    )


#: The collector image on an emulator, where no task runs it: the name docker/collector.Dockerfile's build is tagged
#: with (`docker-compose.yml`). On AWS the image is the operator's push, pinned by digest (there is no default).
EMULATOR_COLLECTOR_IMAGE = "otelcol-ccstream:0.131.0"


def _collector_image(ctx: PrepareContext) -> dict[str, str]:
    """The collector image: given or kept; on an emulator the local build's tag; on AWS a missing one is an error,
    and one without a digest is deployed with a warning (a tag may move under running tasks)."""
    given = ctx.options.parameters.get(_MON, {}).get("CollectorImage") or (ctx.current_parameters or {}).get(
        "CollectorImage", ""
    )
    if ctx.target.is_emulator:
        return {} if given else {"CollectorImage": EMULATOR_COLLECTOR_IMAGE}
    if not given:
        raise ConfigError(
            "the monitoring stack needs the collector image: build docker/collector.Dockerfile, push it to your "
            "registry and pass -p monitoring.CollectorImage=ACCOUNT.dkr.ecr.REGION.amazonaws.com/otelcol-ccstream"
            "@sha256:<digest> (infra/README.md)."
        )
    if "@sha256:" not in given:
        ctx.progress(f"warning: CollectorImage {given} is a tag, not a digest: tasks may start different bytes.")
    return {}


def _prepare_networking(ctx: PrepareContext) -> dict[str, str]:
    _checked_parameters(ctx, _NET, "networking.yaml", {})  # no NAT needs the interface endpoints
    return {}


def _checked_parameters(
    ctx: PrepareContext, key: str, template_file: str, prepared: Mapping[str, str]
) -> dict[str, str]:
    """The stack's own parameter values, after checking them against its template's Rules (ConfigError)."""
    parameters = _effective_parameters(ctx, key, template_file, prepared)
    preflight.check_rules(key, load_template(template_file).document.get("Rules") or {}, parameters)
    return parameters


def _effective_parameters(
    ctx: PrepareContext, key: str, template_file: str, prepared: Mapping[str, str]
) -> dict[str, str]:
    """The stack's own parameter values as `build_parameters` will merge them (outputs of other stacks aside)."""
    declared = load_template(template_file).parameters
    merged = {k: _default_text(v["Default"]) for k, v in declared.items() if "Default" in v}
    for layer in (
        ctx.current_parameters or {},
        prepared,
        ctx.options.as_parameters(),
        ctx.options.parameters.get(key, {}),
    ):
        merged.update({k: v for k, v in layer.items() if k in declared})
    return merged


def _networking_parameter(ctx: PrepareContext, name: str) -> str:
    """A networking parameter: this deploy's override, else the deployed stack's value, else the template default."""
    if name in ctx.options.parameters.get(_NET, {}):
        return ctx.options.parameters[_NET][name]
    default = _default_text(load_template("networking.yaml").parameters[name].get("Default", ""))
    try:
        stacks = ctx.client("cloudformation").describe_stacks(StackName=f"{ctx.names.prefix}-{_NET}")["Stacks"]
    except ClientError:  # not deployed yet
        return default
    values = {p["ParameterKey"]: p.get("ParameterValue", "") for p in stacks[0].get("Parameters", [])}
    return str(values.get(name, default))


def _prepare_identity_keys(ctx: PrepareContext) -> dict[str, str]:
    """In pseudonymous mode: the identity-keys secret exists (created with a first key) and the stack gets its ARN."""
    current = ctx.current_parameters or {}
    mode = ctx.options.identity_mode or current.get("IdentityMode", "plain")
    if mode != "pseudonymous" or current.get("IdentityKeysSecretArn"):
        return {}
    from consumers.privacy.secret import ensure_identity_keys

    key = ctx.options.parameters.get(_MON, {}).get("IdentityKeysKmsKeyArn", "") or _keys_output(
        ctx, "IdentityKeysKeyArn"
    )
    arn = ensure_identity_keys(ctx.client("secretsmanager"), ctx.names, key)
    ctx.progress(f"identity keys: secret {ctx.names.prefix}/identity-keys ({arn})")
    return {"IdentityKeysSecretArn": arn}


def _keys_output(ctx: PrepareContext, output: str) -> str:
    """An output of the optional keys stack ("" when it is not deployed)."""
    try:
        stacks = ctx.client("cloudformation").describe_stacks(StackName=f"{ctx.names.prefix}-{_KEYS}")["Stacks"]
    except ClientError:  # no keys stack: AWS managed keys
        return ""
    return next((o["OutputValue"] for o in stacks[0].get("Outputs", []) if o["OutputKey"] == output), "")


def _prefix_lists(ctx: PrepareContext) -> dict[str, str]:
    """The AWS managed prefix lists of the S3 and DynamoDB gateway endpoints (for egress rules; {} if unknown)."""
    names = {f"com.amazonaws.{ctx.target.region}.{s}": p for s, p in (("s3", "S3"), ("dynamodb", "DynamoDb"))}
    try:
        lists = ctx.client("ec2").describe_managed_prefix_lists(
            Filters=[{"Name": "prefix-list-name", "Values": sorted(names)}]
        )["PrefixLists"]
    except ClientError:
        return {}
    return {
        f"{names[p['PrefixListName']]}PrefixListId": p["PrefixListId"] for p in lists if p["PrefixListName"] in names
    }


def _prepare_dashboard(ctx: PrepareContext) -> dict[str, str]:
    return _prefix_lists(ctx)


def _prepare_streaming(ctx: PrepareContext) -> dict[str, str]:
    current = ctx.current_parameters
    out: dict[str, str] = _prefix_lists(ctx)
    for parameter, group in (
        ("CreateLogGroup", ctx.names.log_group),
        ("CreateEventsLogGroup", ctx.names.events_log_group),
    ):
        if current is not None and (parameter in current or parameter == "CreateLogGroup"):
            continue  # keep the decision made at creation
        exists = preflight.log_group_exists(ctx.client("logs"), group)
        if exists:
            ctx.progress(
                f"log group {group} already exists (the collector creates it when it starts first); "
                "using it instead of creating it (its retention is not set by the stack)"
            )
        out[parameter] = "false" if exists else "true"
    return out


def _derive_streaming(parameters: Mapping[str, str], options: DeployOptions) -> dict[str, str]:
    shards = int(parameters.get("ShardCount", "2"))
    return {"ConsumerTasks": str(max(1, math.ceil(shards / max(1, options.shards_per_task))))}


def _prepare_analytics(ctx: PrepareContext) -> dict[str, str]:
    if not ctx.target.is_emulator:
        preflight.check_lake_formation(ctx.client("lakeformation"), ctx.caller_arn)
    return {}


_KEYS = "keys"
_NET = "networking"
_MON = "monitoring"
_STREAM = "streaming"
#: Parameters every stack takes from the optional keys stack's outputs (customer managed keys) when it exists.
_KEY_INPUTS: dict[str, tuple[str, str]] = {
    "LogsKmsKeyArn": (_KEYS, "LogsKeyArn"),
    "KinesisKmsKeyArn": (_KEYS, "StreamKeyArn"),
    "TableKmsKeyArn": (_KEYS, "TableKeyArn"),
    "DeadLetterKmsKeyArn": (_KEYS, "DeadLetterKeyArn"),
    "LakeKmsKeyArn": (_KEYS, "LakeKeyArn"),
    "IdentityKeysKmsKeyArn": (_KEYS, "IdentityKeysKeyArn"),
    "TopicKmsKeyArn": (_KEYS, "TopicKeyArn"),
}
#: Where the tasks' and Lambdas' egress may go when the VPC has interface endpoints (networking outputs).
_EGRESS_INPUTS: dict[str, tuple[str, str]] = {
    "InterfaceEndpoints": (_NET, "InterfaceEndpoints"),
    "EndpointSecurityGroupId": (_NET, "EndpointSecurityGroupId"),
}

STACKS: dict[str, StackSpec] = {
    spec.key: spec
    for spec in (
        StackSpec(_KEYS, "keys.yaml", "customer managed KMS keys (optional: --customer-keys)"),
        StackSpec(
            _NET,
            "networking.yaml",
            "VPC, private subnets, VPC endpoints",
            inputs=_KEY_INPUTS,
            prepare=_prepare_networking,
        ),
        StackSpec(
            _MON,
            "monitoring.yaml",
            "OTEL collector (ADOT) on ECS Fargate behind an ALB, alarm topic",
            inputs={
                **_KEY_INPUTS,
                **_EGRESS_INPUTS,
                "VpcId": (_NET, "VpcId"),
                "PublicSubnetIds": (_NET, "PublicSubnetIds"),
                "PrivateSubnetIds": (_NET, "PrivateSubnetIds"),
            },
            prepare=_prepare_monitoring,
        ),
        StackSpec(
            _STREAM,
            "streaming.yaml",
            "log group → Kinesis, aggregate table, dead letters, KCL consumer service",
            inputs={
                **_KEY_INPUTS,
                **_EGRESS_INPUTS,
                "VpcId": (_NET, "VpcId"),
                "PrivateSubnetIds": (_NET, "PrivateSubnetIds"),
                "ClusterName": (_MON, "ClusterName"),
                "AlarmTopicArn": (_MON, "AlarmTopicArn"),
                "AccessLogBucket": (_MON, "AccessLogBucket"),
            },
            prepare=_prepare_streaming,
            derive=_derive_streaming,
        ),
        StackSpec(
            "analytics",
            "analytics.yaml",
            "Firehose → Parquet lake in S3, Glue catalog, Athena workgroup",
            inputs={
                **_KEY_INPUTS,
                "StreamArn": (_STREAM, "StreamArn"),
                "AlarmTopicArn": (_MON, "AlarmTopicArn"),
                "AccessLogBucket": (_MON, "AccessLogBucket"),
            },
            prepare=_prepare_analytics,
        ),
        StackSpec(
            "dashboard",
            "dashboard.yaml",
            "CloudWatch dashboard and its widget Lambdas",
            inputs={
                **_KEY_INPUTS,
                **_EGRESS_INPUTS,
                "StreamName": (_STREAM, "StreamName"),
                "VpcId": (_NET, "VpcId"),
                "PrivateSubnetIds": (_NET, "PrivateSubnetIds"),
                "DeliveryStreamName": ("analytics", "DeliveryStreamName"),
                "AlertTopicArn": (_MON, "AlarmTopicArn"),
                "AlertTopicKmsKeyArn": (_MON, "AlarmKeyArn"),
                "UserDayRetentionDays": (_STREAM, "UserDayRetentionDays"),
                "IdentityMode": (_STREAM, "IdentityMode"),
            },
            prepare=_prepare_dashboard,
        ),
    )
}

#: The stacks deployed by default, in order. The keys stack (customer managed KMS keys) is deployed only when asked.
ORDER: tuple[str, ...] = tuple(k for k in STACKS if k != _KEYS)


def select_stacks(requested: Iterable[str] | None) -> list[StackSpec]:
    """Requested stack keys in dependency order (the default ones when None); ConfigError naming the valid keys."""
    keys = list(ORDER) if requested is None else [k.strip() for k in requested if k.strip()]
    unknown = [k for k in keys if k not in STACKS]
    if unknown or not keys:
        raise ConfigError(f"unknown stack(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(STACKS)}")
    return [STACKS[k] for k in STACKS if k in keys]


def check_overrides(specs: Iterable[StackSpec], options: DeployOptions, declared_of: Callable[[str], Any]) -> None:
    """Fail before any AWS call when an explicit `STACK.Parameter=value` names no stack or no parameter."""
    keys = {spec.key: spec for spec in specs}
    for stack, values in options.parameters.items():
        if stack not in keys:
            raise ConfigError(f"--parameter {stack}.…: stack {stack!r} is not being deployed ({', '.join(keys)})")
        spec = keys[stack]
        unknown = sorted(set(values) - set(declared_of(spec.template_file)))
        if unknown:
            raise ConfigError(f"{spec.template_file} has no parameter(s) {', '.join(unknown)}")


def names_parameters(names: Names) -> dict[str, str]:
    return {
        "Prefix": names.prefix,
        "TableName": names.table,
        "LogGroupName": names.log_group,
        "EventsLogGroupName": names.events_log_group,
    }


def build_parameters(
    spec: StackSpec,
    declared: Mapping[str, Mapping[str, Any]],
    names: Names,
    options: DeployOptions,
    current: Mapping[str, str] | None,
    outputs_of: Callable[[str], Mapping[str, str] | None],
    prepared: Mapping[str, str],
) -> dict[str, str]:
    """All parameter values for `spec`, restricted to the parameters the template declares.

    Defaults are sent explicitly too, so the deployed stack records every value it runs with.
    """
    wired: dict[str, str] = {}
    for parameter, (source, output) in spec.inputs.items():
        outputs = outputs_of(source)
        if outputs and output in outputs:
            wired[parameter] = outputs[output]
    defaults = {k: _default_text(v["Default"]) for k, v in declared.items() if "Default" in v}
    merged: dict[str, str] = {}
    for layer in (defaults, current or {}, wired, names_parameters(names), prepared, options.as_parameters()):
        merged.update({k: v for k, v in layer.items() if k in declared})
    if spec.derive is not None:
        merged.update({k: v for k, v in spec.derive(merged, options).items() if k in declared})
    merged.update({k: v for k, v in options.parameters.get(spec.key, {}).items() if k in declared})
    return merged


def _default_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)
