"""Realistic synthetic Claude Code telemetry: a seeded simulation of users, sent as the CLI's OTLP requests (what
`ccstream up` sends through the real collector), or written as the real collector writes them (`emf_writer`, a model
proven line for line against it) and packed into the CloudWatch Logs subscription records a Kinesis stream receives.

    simulate_exports(users, minutes, start_ms, seed) -> Iterator[list[Export]]   # per minute; otlp.request_of(export)
    OtlpSender(url).send(body)                                        # POST /v1/metrics, retries 5xx/connection errors
    simulate(users, minutes, start_ms, seed) -> Iterator[EmfLine]     # batch, deterministic
    live_batches(users, seed) -> Iterator[list[EmfLine]]              # one batch per wall-clock minute
    pack(lines) -> Iterator[PackedRecord]; capture(records) -> Iterator[CapturedRecord]
"""

from __future__ import annotations

from consumers.generate.capture import CapturedRecord, capture, decode_captured, encode_captured
from consumers.generate.lines import EmfLine
from consumers.generate.live import live_batches, live_exports
from consumers.generate.population import UserProfile, build_population
from consumers.generate.sender import OtlpSender
from consumers.generate.simulator import (
    Export,
    SimulationOptions,
    Simulator,
    simulate,
    simulate_exports,
    simulate_minutes,
)
from consumers.generate.streams import collector_log_stream
from consumers.generate.subscription import PackedRecord, SubscriptionOptions, control_envelope, pack

__all__ = [
    "CapturedRecord",
    "EmfLine",
    "Export",
    "OtlpSender",
    "PackedRecord",
    "SimulationOptions",
    "Simulator",
    "SubscriptionOptions",
    "UserProfile",
    "build_population",
    "capture",
    "collector_log_stream",
    "control_envelope",
    "decode_captured",
    "encode_captured",
    "live_batches",
    "live_exports",
    "pack",
    "simulate",
    "simulate_exports",
    "simulate_minutes",
]
