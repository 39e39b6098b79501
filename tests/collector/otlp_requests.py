"""Small OTLP/HTTP JSON requests shaped like the real CLI's (real-telemetry.md §2, §3), built by hand for the tests.

Values and attributes are chosen here, so what the collector must write is known without running any of our code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

DELTA = 1
CUMULATIVE = 2
SCOPE = "com.anthropic.claude_code"

RESOURCE = {"service.name": "claude-code", "service.version": "2.1.332", "os.type": "linux", "host.arch": "x64"}
PERSON = {
    "user.id": "9f" * 32,
    "session.id": "0b6c1f6e-3f1e-4c55-9d1a-6c2f4d8e9a10",
    "user.email": "ada@example.com",
    "organization.id": "org-1",
    "terminal.type": "vscode",
}
#: Labels that identify a person or a session; none may ever be a CloudWatch dimension.
PER_PERSON = frozenset(
    {"user.id", "user.email", "user.name", "user.account_uuid", "user.account_id", "session.id", "organization.id"}
)


@dataclass(frozen=True)
class Point:
    metric: str
    unit: str
    value: float
    attrs: dict[str, str]
    temporality: int = DELTA


def _kv(attrs: dict[str, str]) -> list[dict[str, object]]:
    return [{"key": k, "value": {"stringValue": v}} for k, v in attrs.items()]


def metrics_request(points: list[Point], time_ns: int) -> bytes:
    """One ExportMetricsServiceRequest: one monotonic Sum per (metric, temporality), points in the given order."""
    metrics: dict[tuple[str, int], dict[str, object]] = {}
    for p in points:
        m = metrics.setdefault(
            (p.metric, p.temporality),
            {
                "name": p.metric,
                "unit": p.unit,
                "sum": {"aggregationTemporality": p.temporality, "isMonotonic": True, "dataPoints": []},
            },
        )
        data_points = m["sum"]["dataPoints"]  # type: ignore[index]
        data_points.append(
            {
                "startTimeUnixNano": str(time_ns - 60_000_000_000),
                "timeUnixNano": str(time_ns),
                "asDouble": p.value,
                "attributes": _kv({**PERSON, **p.attrs}),
            }
        )
    body = {
        "resourceMetrics": [
            {
                "resource": {"attributes": _kv(RESOURCE)},
                "scopeMetrics": [{"scope": {"name": SCOPE, "version": "2.1.332"}, "metrics": list(metrics.values())}],
            }
        ]
    }
    return json.dumps(body).encode()


def api_request_event(time_ns: int, cost_usd: float = 0.0123) -> bytes:
    """One ExportLogsServiceRequest with one `api_request` event (body `claude_code.api_request`)."""
    attrs: list[dict[str, object]] = [
        *_kv({**PERSON, "event.name": "api_request", "model": "claude-sonnet-4-5", "prompt.id": "p-1"}),
        {"key": "input_tokens", "value": {"intValue": "1200"}},
        {"key": "cost_usd", "value": {"doubleValue": cost_usd}},
    ]
    body = {
        "resourceLogs": [
            {
                "resource": {"attributes": _kv(RESOURCE)},
                "scopeLogs": [
                    {
                        "scope": {"name": SCOPE + ".events", "version": "2.1.332"},
                        "logRecords": [
                            {
                                "timeUnixNano": str(time_ns),
                                "observedTimeUnixNano": str(time_ns),
                                "body": {"stringValue": "claude_code.api_request"},
                                "attributes": attrs,
                            }
                        ],
                    }
                ],
            }
        ]
    }
    return json.dumps(body).encode()
