"""What LocalStack's CloudFormation (open-source core 2026.3.0) gets wrong, put right through the service APIs.

LocalStack creates most of what moto skips (subscription filters, alarms), so the common fillers find those
present and change nothing. One resource it creates wrongly: `AWS::Logs::SubscriptionFilter` is created under
the log group's name instead of its `FilterName`. Left alone, the common filler would add a second filter with
the right name, and every log event would reach the stream twice. So the misnamed filter (same group, same
destination) is deleted first. These rules run only when the endpoint answers LocalStack's health check.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from consumers.aws import AwsTarget
from consumers.deploy.fill import logs
from consumers.deploy.fill.base import FillContext, Filler


def is_localstack(target: AwsTarget) -> bool:
    """True when the emulator at `target.endpoint_url` is LocalStack (it serves `/_localstack/health`)."""
    if target.endpoint_url is None:
        return False
    try:
        with urllib.request.urlopen(f"{target.endpoint_url.rstrip('/')}/_localstack/health", timeout=5) as response:
            doc = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return False
    return isinstance(doc, dict) and "services" in doc


def fill_subscription_filter(ctx: FillContext, logical_id: str, props: dict[str, Any]) -> list[str]:
    client = ctx.client("logs")
    group, name = props["LogGroupName"], props["FilterName"]
    found = client.describe_subscription_filters(logGroupName=group)["subscriptionFilters"]
    changes = []
    for stray in found:
        if stray["filterName"] != name and stray.get("destinationArn") == props["DestinationArn"]:
            client.delete_subscription_filter(logGroupName=group, filterName=stray["filterName"])
            changes.append(f"{logical_id}: deleted subscription filter {stray['filterName']!r} (LocalStack's name)")
    return changes + logs.fill_subscription_filter(ctx, logical_id, props)


FILLERS: dict[str, Filler] = {"AWS::Logs::SubscriptionFilter": fill_subscription_filter}
