"""Kinesis: server-side encryption and capacity mode of a stream (moto's CloudFormation ignores StreamEncryption and
StreamModeDetails)."""

from __future__ import annotations

from typing import Any

from consumers.deploy.fill.base import FillContext


def fill_stream(ctx: FillContext, logical_id: str, props: dict[str, Any]) -> list[str]:
    kinesis = ctx.client("kinesis")
    name = props["Name"]
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    done = []
    mode = (props.get("StreamModeDetails") or {}).get("StreamMode")
    if mode and summary.get("StreamModeDetails", {}).get("StreamMode") != mode:
        kinesis.update_stream_mode(StreamARN=summary["StreamARN"], StreamModeDetails={"StreamMode": mode})
        done.append(f"{logical_id}: stream {name} set to {mode}")
    encryption = props.get("StreamEncryption")
    if not encryption:
        return done
    if summary.get("EncryptionType") == encryption["EncryptionType"] and summary.get("KeyId") == encryption["KeyId"]:
        return done
    kinesis.start_stream_encryption(
        StreamName=name, EncryptionType=encryption["EncryptionType"], KeyId=encryption["KeyId"]
    )
    return [
        *done,
        f"{logical_id}: enabled {encryption['EncryptionType']} encryption of stream {name} ({encryption['KeyId']})",
    ]


FILLERS = {"AWS::Kinesis::Stream": fill_stream}
