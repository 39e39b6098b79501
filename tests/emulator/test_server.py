"""The embedded emulator speaks what both clients need: boto3 over HTTP/1.1 (incl. S3 uploads and HEAD) and h2c."""

from __future__ import annotations

import socket

import pytest

from consumers.aws import AwsTarget

pytestmark = pytest.mark.emulator


def test_s3_put_head_get_round_trip(aws: AwsTarget) -> None:
    s3 = aws.client("s3", retries={"max_attempts": 1})
    s3.create_bucket(Bucket="emu-roundtrip")
    s3.put_object(Bucket="emu-roundtrip", Key="a/b.json", Body=b"x" * 70_000)
    assert s3.head_bucket(Bucket="emu-roundtrip")["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert s3.head_object(Bucket="emu-roundtrip", Key="a/b.json")["ContentLength"] == 70_000
    assert s3.get_object(Bucket="emu-roundtrip", Key="a/b.json")["Body"].read() == b"x" * 70_000


def test_http2_cleartext_preface_is_accepted(emulator) -> None:  # type: ignore[no-untyped-def]
    """The KCL's Kinesis client speaks HTTP/2 only (prior knowledge, h2c): the server must answer with SETTINGS."""
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=5) as s:
        s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        frame = s.recv(9)
    assert len(frame) == 9 and frame[3] == 0x04  # frame type 4 = SETTINGS
