"""Kinesis: server-side encryption of a stream (moto's CloudFormation ignores StreamEncryption)."""

from __future__ import annotations

from typing import Any

from consumers.deploy.fill.base import FillContext


def fill_stream(ctx: FillContext, logical_id: str, props: dict[str, Any]) -> list[str]:
    encryption = props.get("StreamEncryption")
    if not encryption:
        return []
    kinesis = ctx.client("kinesis")
    name = props["Name"]
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    if summary.get("EncryptionType") == encryption["EncryptionType"] and summary.get("KeyId") == encryption["KeyId"]:
        return []
    kinesis.start_stream_encryption(
        StreamName=name, EncryptionType=encryption["EncryptionType"], KeyId=encryption["KeyId"]
    )
    return [f"{logical_id}: enabled {encryption['EncryptionType']} encryption of stream {name} ({encryption['KeyId']})"]


FILLERS = {"AWS::Kinesis::Stream": fill_stream}
