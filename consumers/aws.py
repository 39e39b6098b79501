"""boto3 clients that honour the standard AWS environment and an explicit endpoint.

`AWS_ENDPOINT_URL`, `AWS_REGION` (or `AWS_DEFAULT_REGION`) and the usual credential chain are respected, so one
CLI works against moto, LocalStack and AWS. Clients are created here and passed in everywhere else.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

DEFAULT_REGION = "us-east-1"
_LOCK = threading.RLock()
_SESSIONS: dict[tuple[str | None, str, bool], boto3.Session] = {}


@dataclass(frozen=True)
class AwsTarget:
    """Where AWS calls go: an endpoint (None = real AWS) and a region."""

    endpoint_url: str | None
    region: str

    @property
    def is_emulator(self) -> bool:
        return self.endpoint_url is not None

    @classmethod
    def from_env(cls, endpoint_url: str | None = None, region: str | None = None) -> AwsTarget:
        endpoint = endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
        reg = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
        return cls(endpoint_url=endpoint, region=reg)

    def session(self) -> boto3.Session:
        if self.is_emulator and not _has_credentials():
            # Emulators accept any credentials; give boto3 some so a fresh shell just works.
            return boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=self.region)
        return boto3.Session(region_name=self.region)

    def client(self, service: str, **config: Any) -> Any:
        config.setdefault("retries", {"max_attempts": 3, "mode": "standard"})
        client = self.session().client(service, endpoint_url=self.endpoint_url, config=Config(**config))
        if self.is_emulator and service == "s3":
            client.meta.events.register("before-send.s3", _drop_expect_continue)
        return client


def _drop_expect_continue(request: Any, **_: Any) -> None:
    """hypercorn answers `Expect: 100-continue` with "HTTP/1.1 100 " (no reason phrase), which botocore does not
    recognise as a 100 response, so S3 uploads to the embedded emulator would hang. Emulators only."""
    request.headers.pop("Expect", None)


def _has_credentials() -> bool:
    return bool(os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE"))
