"""CloudWatch Logs: subscription filters (skipped by moto's CloudFormation)."""

from __future__ import annotations

from typing import Any

from consumers.deploy.fill.base import FillContext


def fill_subscription_filter(ctx: FillContext, logical_id: str, props: dict[str, Any]) -> list[str]:
    logs = ctx.client("logs")
    name = props["FilterName"]
    group = props["LogGroupName"]
    found = logs.describe_subscription_filters(logGroupName=group, filterNamePrefix=name)["subscriptionFilters"]
    current = next((f for f in found if f["filterName"] == name), None)
    wanted = {
        "destinationArn": props["DestinationArn"],
        "roleArn": props.get("RoleArn", ""),
        "filterPattern": props.get("FilterPattern", ""),
    }
    # Distribution is sent but not compared: moto always reports "ByLogStream" whatever it was given.
    if current is not None and all(current.get(k, "") == v for k, v in wanted.items()):
        return []
    request: dict[str, Any] = {
        "logGroupName": group,
        "filterName": name,
        "filterPattern": wanted["filterPattern"],
        "destinationArn": wanted["destinationArn"],
    }
    if wanted["roleArn"]:
        request["roleArn"] = wanted["roleArn"]
    if "Distribution" in props:
        request["distribution"] = props["Distribution"]
    logs.put_subscription_filter(**request)
    verb = "updated" if current else "created"
    return [f"{logical_id}: {verb} subscription filter {name} on {group} → {wanted['destinationArn']}"]


FILLERS = {"AWS::Logs::SubscriptionFilter": fill_subscription_filter}
