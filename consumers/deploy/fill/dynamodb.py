"""DynamoDB: time to live and point-in-time recovery (moto's CloudFormation ignores both).

Server-side encryption cannot be filled: moto's CloudFormation reads `Enabled` where the template property is
`SSEEnabled`, and its UpdateTable has no SSE support. On AWS every table is encrypted at rest regardless.
"""

from __future__ import annotations

from typing import Any

from consumers.deploy.fill.base import FillContext, is_true


def fill_table(ctx: FillContext, logical_id: str, props: dict[str, Any]) -> list[str]:
    dynamodb = ctx.client("dynamodb")
    name = props["TableName"]
    changes: list[str] = []
    ttl = props.get("TimeToLiveSpecification")
    if ttl and is_true(ttl.get("Enabled")):
        current = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if (
            current.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING")
            or current.get("AttributeName") != (ttl["AttributeName"])
        ):
            dynamodb.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]}
            )
            changes.append(f"{logical_id}: enabled TTL on {name}.{ttl['AttributeName']}")
    pitr = props.get("PointInTimeRecoverySpecification")
    if pitr and is_true(pitr.get("PointInTimeRecoveryEnabled")):
        backups = dynamodb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
        status = backups.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus")
        if status != "ENABLED":
            dynamodb.update_continuous_backups(
                TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
            )
            changes.append(f"{logical_id}: enabled point-in-time recovery on {name}")
    return changes


FILLERS = {"AWS::DynamoDB::Table": fill_table}
