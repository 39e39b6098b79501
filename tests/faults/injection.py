"""Fault injection with botocore event hooks: throttle a share of calls before they are sent, and lose the response
of a share of calls after the server applied them (so the retry sees its own write)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectionClosedError


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body


@dataclass
class FaultInjector:
    throttle_rate: float
    lost_response_rate: float = 0.0
    seed: int = 0
    throttled: int = 0
    lost: int = 0
    calls: int = 0
    _rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def attach(self, client: Any) -> Any:
        client.meta.events.register("before-send.dynamodb", self._before_send)
        client.meta.events.register("after-call.dynamodb", self._after_call)
        return client

    def _before_send(self, request: Any, **_: Any) -> AWSResponse | None:
        self.calls += 1
        if self._rng.random() >= self.throttle_rate:
            return None
        self.throttled += 1
        body = json.dumps(
            {"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException", "message": "injected throttle"}
        ).encode()
        return AWSResponse(request.url, 400, {"x-amzn-ErrorType": "ThrottlingException"}, _Raw(body))

    def _after_call(self, http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
        if http_response.status_code == 200 and self._rng.random() < self.lost_response_rate:
            self.lost += 1
            # what botocore raises when a connection drops before the response is read
            raise ConnectionClosedError(endpoint_url="injected: response lost after the write was applied")
