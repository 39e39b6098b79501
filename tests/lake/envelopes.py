"""Subscription records for the transform tests (plain json + gzip). The EMF lines are what the real collector
writes for the given points (`consumers.generate.emf_writer`, proven against the collector in
tests/generate/test_collector_vs_writer.py); only values the collector never writes (EMF arrays) give a
hand-built line, part of the tests' malformed corpus."""

from __future__ import annotations

import gzip
import json
from typing import Any

from consumers.generate.emf_writer import EmfWriter

T0 = 1_755_785_100_000  # 2025-08-21T14:05:00Z


def emf(ts: int, attrs: dict[str, Any], metrics: dict[str, Any], units: dict[str, str] | None = None) -> str:
    """The collector's line for these points (`units`: metric → OTLP unit); arrays give a hand-built EMF line."""
    if all(isinstance(v, int | float) for v in metrics.values()):
        return EmfWriter(units=units).line(ts, attrs, metrics)
    unit = units or {}
    doc: dict[str, Any] = {
        "OTelLib": "com.anthropic.claude_code",
        "Version": "1",
        "_aws": {
            "CloudWatchMetrics": [
                {
                    "Namespace": "ClaudeCode",
                    "Dimensions": [["department"]],
                    "Metrics": [{"Name": m, "Unit": unit.get(m, ""), "StorageResolution": 60} for m in metrics],
                }
            ],
            "Timestamp": ts,
        },
    }
    doc.update(attrs)
    doc.update(metrics)
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


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
