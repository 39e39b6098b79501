"""Hand-built subscription records for the transform tests (plain json + gzip, no ccstream code)."""

from __future__ import annotations

import gzip
import json
from typing import Any

T0 = 1_755_785_100_000  # 2025-08-21T14:05:00Z


def emf(ts: int, attrs: dict[str, Any], metrics: dict[str, Any], units: dict[str, str] | None = None) -> str:
    units = units or {}
    doc: dict[str, Any] = {
        "OTelLib": "com.anthropic.claude_code",
        "Version": "1",
        "_aws": {
            "CloudWatchMetrics": [
                {
                    "Namespace": "ClaudeCode",
                    "Dimensions": [["OTelLib"]],
                    "Metrics": [{"Name": m, "Unit": units.get(m, "Count")} for m in metrics],
                }
            ],
            "Timestamp": ts,
        },
    }
    doc.update(attrs)
    doc.update(metrics)
    return json.dumps(doc)


def record(events: list[tuple[Any, int, str]], stream: str = "otel-stream-1", kind: str = "DATA_MESSAGE") -> bytes:
    env = {
        "messageType": kind,
        "owner": "123456789012",
        "logGroup": "/aws/claude-code/metrics",
        "logStream": stream,
        "subscriptionFilters": ["f"],
        "logEvents": [{"id": i, "timestamp": ts, "message": msg} for i, ts, msg in events],
    }
    return gzip.compress(json.dumps(env).encode())


def control_record() -> bytes:
    env = {
        "messageType": "CONTROL_MESSAGE",
        "owner": "CloudwatchLogs",
        "logGroup": "",
        "logStream": "",
        "subscriptionFilters": [],
        "logEvents": [{"id": "", "timestamp": T0, "message": "CWL CONTROL MESSAGE: Checking health of destination"}],
    }
    return gzip.compress(json.dumps(env).encode())
