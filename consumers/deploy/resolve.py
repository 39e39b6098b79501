"""Evaluate CloudFormation intrinsic functions against a deployed stack.

Used on emulators only: to create through the service APIs what an emulator's CloudFormation skipped, the
gap-filler needs each resource's properties with `Ref`, `Fn::Sub`, `Fn::GetAtt`, `Fn::If` ... resolved to the
values the stack actually has. Parameters come from the deployed stack, physical ids from its resources, and
`Fn::GetAtt` is computed from them (ARNs follow documented formats).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from consumers.errors import CcstreamError


class ResolveError(CcstreamError):
    """A template expression cannot be evaluated (unsupported function or unknown name)."""


class _NoValue:
    """`AWS::NoValue`: the property is removed."""

    def __repr__(self) -> str:
        return "NoValue"


NO_VALUE = _NoValue()

#: Without a physical id (a resource an emulator skipped, or a static check), `Ref` returns this property.
NAME_PROPERTY: dict[str, tuple[str, ...]] = {
    "AWS::Logs::LogGroup": ("LogGroupName",),
    "AWS::Kinesis::Stream": ("Name",),
    "AWS::DynamoDB::Table": ("TableName",),
    "AWS::S3::Bucket": ("BucketName",),
    "AWS::Logs::SubscriptionFilter": ("FilterName",),
    "AWS::KinesisFirehose::DeliveryStream": ("DeliveryStreamName",),
    "AWS::Glue::Database": ("DatabaseInput", "Name"),
    "AWS::Glue::Table": ("TableInput", "Name"),
    "AWS::Athena::WorkGroup": ("Name",),
    "AWS::Athena::NamedQuery": ("Name",),
    "AWS::ApplicationAutoScaling::ScalingPolicy": ("PolicyName",),
    "AWS::SNS::Subscription": ("Endpoint",),
    "AWS::Logs::LogStream": ("LogStreamName",),
    "AWS::CloudWatch::Alarm": ("AlarmName",),
    "AWS::S3::BucketPolicy": ("Bucket",),
    "AWS::Lambda::Function": ("FunctionName",),
}

#: `Fn::GetAtt <resource>.Arn` by resource type, from the physical id (documented ARN formats).
_ARN_FORMATS: dict[str, str] = {
    "AWS::Kinesis::Stream": "arn:{partition}:kinesis:{region}:{account}:stream/{id}",
    "AWS::IAM::Role": "arn:{partition}:iam::{account}:role/{id}",
    "AWS::S3::Bucket": "arn:{partition}:s3:::{id}",
    "AWS::DynamoDB::Table": "arn:{partition}:dynamodb:{region}:{account}:table/{id}",
    "AWS::Logs::LogGroup": "arn:{partition}:logs:{region}:{account}:log-group:{id}:*",
    "AWS::KinesisFirehose::DeliveryStream": "arn:{partition}:firehose:{region}:{account}:deliverystream/{id}",
    "AWS::Lambda::Function": "arn:{partition}:lambda:{region}:{account}:function:{id}",
    "AWS::KMS::Key": "arn:{partition}:kms:{region}:{account}:key/{id}",
    "AWS::SNS::Topic": "{id}",
    "AWS::ECS::Cluster": "arn:{partition}:ecs:{region}:{account}:cluster/{id}",
}

_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


@dataclass(frozen=True)
class StackContext:
    """What a deployed stack knows: pseudo parameters, parameter values and physical ids."""

    account: str
    region: str
    stack_name: str
    parameters: Mapping[str, str]
    physical_ids: Mapping[str, str] = field(default_factory=dict)
    partition: str = "aws"


class Resolver:
    """Resolves expressions of one template in one `StackContext`."""

    def __init__(self, document: Mapping[str, Any], context: StackContext) -> None:
        self._document = document
        self._context = context
        self._resources: Mapping[str, Any] = document.get("Resources") or {}
        self._conditions: Mapping[str, Any] = document.get("Conditions") or {}
        self._param_specs: Mapping[str, Any] = document.get("Parameters") or {}
        self._condition_cache: dict[str, bool] = {}

    # -- public ---------------------------------------------------------------------------------------------
    def condition(self, name: str) -> bool:
        if name not in self._condition_cache:
            if name not in self._conditions:
                raise ResolveError(f"unknown condition {name}")
            self._condition_cache[name] = bool(self.value(self._conditions[name]))
        return self._condition_cache[name]

    def is_created(self, logical_id: str) -> bool:
        """False when the resource carries a condition that is false."""
        condition = self._resources[logical_id].get("Condition")
        return condition is None or self.condition(condition)

    def properties(self, logical_id: str) -> dict[str, Any]:
        """The resource's properties with every expression resolved and `AWS::NoValue` removed."""
        resolved = self.value(self._resources[logical_id].get("Properties") or {})
        return dict(resolved)

    def value(self, node: Any) -> Any:
        if isinstance(node, list):
            return [v for v in (self.value(item) for item in node) if v is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, arg),) = node.items()
            handler = _FUNCTIONS.get(key)
            if handler is not None:
                return handler(self, arg)
        return {k: v for k, v in ((k, self.value(v)) for k, v in node.items()) if v is not NO_VALUE}

    # -- references -----------------------------------------------------------------------------------------
    def ref(self, name: str) -> Any:
        pseudo = {
            "AWS::AccountId": self._context.account,
            "AWS::Region": self._context.region,
            "AWS::Partition": self._context.partition,
            "AWS::StackName": self._context.stack_name,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": NO_VALUE,
        }
        if name in pseudo:
            return pseudo[name]
        if name in self._param_specs:
            return self._parameter(name)
        if name in self._resources:
            return self._resource_id(name)
        raise ResolveError(f"Ref to unknown name {name}")

    def _parameter(self, name: str) -> Any:
        raw = self._context.parameters.get(name, self._param_specs[name].get("Default"))
        if raw is None:
            raise ResolveError(f"parameter {name} has no value")
        if str(self._param_specs[name].get("Type", "")).startswith(("CommaDelimitedList", "List<")):
            return [] if raw == "" else [part.strip() for part in str(raw).split(",")]
        return str(raw)

    def _resource_id(self, logical_id: str) -> str:
        if logical_id in self._context.physical_ids:
            return self._context.physical_ids[logical_id]
        resource = self._resources[logical_id]
        path = NAME_PROPERTY.get(resource.get("Type", ""))
        if path is None:
            raise ResolveError(f"{logical_id} has no physical id and its type has no name property")
        current: Any = self.properties(logical_id)
        for key in path:
            current = current[key]
        return str(current)

    def get_att(self, logical_id: str, attribute: str) -> str:
        if logical_id not in self._resources:
            raise ResolveError(f"GetAtt of unknown resource {logical_id}")
        resource_type = self._resources[logical_id]["Type"]
        if attribute == "Arn" and resource_type in _ARN_FORMATS:
            return _ARN_FORMATS[resource_type].format(
                partition=self._context.partition,
                region=self._context.region,
                account=self._context.account,
                id=self._resource_id(logical_id),
            )
        if resource_type == "AWS::EC2::SecurityGroup" and attribute == "GroupId":
            return self._resource_id(logical_id)
        if resource_type == "AWS::ElasticLoadBalancingV2::LoadBalancer" and attribute == "LoadBalancerFullName":
            return self._resource_id(logical_id).split(":loadbalancer/", 1)[1]  # app/<name>/<id>
        if resource_type == "AWS::ElasticLoadBalancingV2::TargetGroup" and attribute == "TargetGroupFullName":
            return "targetgroup/" + self._resource_id(logical_id).split(":targetgroup/", 1)[1]
        raise ResolveError(f"GetAtt {logical_id}.{attribute} ({resource_type}) is not supported")

    def sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
        local = {name: self.value(expr) for name, expr in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in local:
                return str(local[name])
            if "." in name and not name.startswith("AWS::"):
                resource, _, attribute = name.partition(".")
                return self.get_att(resource, attribute)
            return str(self.ref(name))

        return _SUB_VARIABLE.sub(replace, text).replace("${!", "${")


def _fn_if(r: Resolver, arg: list[Any]) -> Any:
    name, when_true, when_false = arg
    return r.value(when_true if r.condition(name) else when_false)


def _fn_equals(r: Resolver, arg: list[Any]) -> bool:
    left, right = (r.value(a) for a in arg)
    return str(left) == str(right)


def _fn_join(r: Resolver, arg: list[Any]) -> str:
    separator, items = arg
    values = r.value(items)
    return str(separator).join(str(v) for v in values)


def _fn_select(r: Resolver, arg: list[Any]) -> Any:
    index, items = arg
    return r.value(items)[int(r.value(index))]


def _fn_split(r: Resolver, arg: list[Any]) -> list[str]:
    separator, text = arg
    return str(r.value(text)).split(separator)


def _fn_get_att(r: Resolver, arg: Any) -> str:
    resource, attribute = arg.split(".", 1) if isinstance(arg, str) else arg
    return r.get_att(resource, r.value(attribute))


def _fn_get_azs(r: Resolver, arg: Any) -> list[str]:
    region = r.value(arg) or r.ref("AWS::Region")
    return [f"{region}{zone}" for zone in "abc"]


def _fn_find_in_map(r: Resolver, arg: list[Any]) -> Any:
    map_name, first, second = (r.value(a) for a in arg)
    return r.value(r._document["Mappings"][map_name][first][second])


_FUNCTIONS: dict[str, Any] = {
    "Ref": lambda r, arg: r.ref(arg),
    "Condition": lambda r, arg: r.condition(arg),
    "Fn::If": _fn_if,
    "Fn::Equals": _fn_equals,
    "Fn::Not": lambda r, arg: not r.value(arg[0]),
    "Fn::And": lambda r, arg: all(r.value(a) for a in arg),
    "Fn::Or": lambda r, arg: any(r.value(a) for a in arg),
    "Fn::Sub": lambda r, arg: r.sub(arg),
    "Fn::Join": _fn_join,
    "Fn::Select": _fn_select,
    "Fn::Split": _fn_split,
    "Fn::GetAtt": _fn_get_att,
    "Fn::GetAZs": _fn_get_azs,
    "Fn::FindInMap": _fn_find_in_map,
    "Fn::Base64": lambda r, arg: base64.b64encode(str(r.value(arg)).encode()).decode(),
    "Fn::ToJsonString": lambda r, arg: json.dumps(r.value(arg), separators=(",", ":")),
}
