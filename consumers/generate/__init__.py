"""Realistic synthetic Claude Code telemetry: a seeded simulation of users, written as the collector's EMF lines
and packed into the CloudWatch Logs subscription records a Kinesis stream receives.

    simulate(users, minutes, start_ms, seed) -> Iterator[EmfLine]     # batch, deterministic
    live_batches(users, seed) -> Iterator[list[EmfLine]]              # one batch per wall-clock minute
    pack(lines) -> Iterator[PackedRecord]; capture(records) -> Iterator[CapturedRecord]
"""

from __future__ import annotations

from consumers.generate.capture import CapturedRecord, capture, decode_captured, encode_captured
from consumers.generate.lines import EmfLine
from consumers.generate.live import live_batches
from consumers.generate.population import UserProfile, build_population
from consumers.generate.simulator import SimulationOptions, Simulator, simulate, simulate_minutes
from consumers.generate.streams import collector_log_stream
from consumers.generate.subscription import PackedRecord, SubscriptionOptions, control_envelope, pack

__all__ = [
    "CapturedRecord",
    "EmfLine",
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
    "pack",
    "simulate",
    "simulate_minutes",
]
