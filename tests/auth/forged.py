"""Forged OTLP requests for the identity tests: what a hostile client sets everywhere it can (headers, resource,
point and event attributes), as OTLP/HTTP JSON; the gRPC tests parse the same JSON into protobuf messages."""

from __future__ import annotations

import json
import time

from tests.collector.otlp_requests import RESOURCE, SCOPE, Point, _kv

SONNET = "claude-sonnet-4-5"
MALLORY = "mallory@evil.example"
#: What a hostile client sets everywhere it can: headers, resource attributes, point and event attributes.
FORGED_HEADERS = {"x-user-email": MALLORY, "x-department": "finance", "x-team-id": "forged-team"}
FORGED = {
    "user.email": MALLORY,
    "user.id": "forged-device-id",
    "user.name": "Mallory",
    "user.account_uuid": "forged-uuid",
    "organization.id": "forged-org-id",
    "department": "finance",
    "team.id": "forged-team",
    "cost_center": "CC-FORGED",
    "organization": "evil-corp",
    "x-user-email": MALLORY,
}
#: Organisation attributes the mapping gives group eng-platform (tests/auth/conftest.py MAPPING).
PLATFORM = {"department": "engineering", "team.id": "platform", "cost_center": "CC-100", "organization": "acme"}


def ns_ago(minutes_ago: float) -> int:
    return int(time.time() - 60 * minutes_ago) * 1_000_000_000


def metrics_body(points: list[Point], time_ns: int, resource: dict[str, str] | None = None) -> bytes:
    """One cost point per entry, with the forged attributes on the points and (by default) on the resource."""
    data_points = [
        {
            "timeUnixNano": str(time_ns),
            "startTimeUnixNano": str(time_ns - 60_000_000_000),
            "asDouble": p.value,
            "attributes": _kv({"session.id": "s-1", **FORGED, **p.attrs}),
        }
        for p in points
    ]
    body = {
        "resourceMetrics": [
            {
                "resource": {"attributes": _kv({**RESOURCE, **(FORGED if resource is None else resource)})},
                "scopeMetrics": [
                    {
                        "scope": {"name": SCOPE},
                        "metrics": [
                            {
                                "name": points[0].metric,
                                "unit": points[0].unit,
                                "sum": {"aggregationTemporality": 1, "isMonotonic": True, "dataPoints": data_points},
                            }
                        ],
                    }
                ],
            }
        ]
    }
    return json.dumps(body).encode()


def event_body(time_ns: int) -> bytes:
    record = {
        "timeUnixNano": str(time_ns),
        "body": {"stringValue": "claude_code.api_request"},
        "attributes": [
            *_kv({**FORGED, "event.name": "api_request", "model": SONNET}),
            {"key": "cost_usd", "value": {"doubleValue": 0.25}},
        ],
    }
    body = {
        "resourceLogs": [
            {
                "resource": {"attributes": _kv({**RESOURCE, **FORGED})},
                "scopeLogs": [{"scope": {"name": SCOPE + ".events"}, "logRecords": [record]}],
            }
        ]
    }
    return json.dumps(body).encode()


def cost(value: float) -> Point:
    return Point("claude_code.cost.usage", "USD", value, {"model": SONNET})


def at(time_ns: int):  # type: ignore[no-untyped-def]
    return lambda event: event["timestamp"] == time_ns // 1_000_000
