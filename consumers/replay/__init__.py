"""Replay fixture files into a deployment: EMF lines through CloudWatch Logs, captured records into Kinesis.

replay_paths(target, names, paths, ...) -> ReplaySummary
put_emf_lines(logs_client, group, stream, lines) -> LogsStats
put_records(kinesis_client, stream, records) -> KinesisStats
"""

from __future__ import annotations

from consumers.replay.errors import ReplayError, ReplayInputError, TimestampsOutOfRange
from consumers.replay.kinesis import KinesisStats, KinesisWriter, RetryPolicy, put_records
from consumers.replay.logs import LogEventWriter, LogsStats, put_emf_lines
from consumers.replay.replay import FileResult, ReplaySummary, replay_paths

__all__ = [
    "FileResult",
    "KinesisStats",
    "KinesisWriter",
    "LogEventWriter",
    "LogsStats",
    "ReplayError",
    "ReplayInputError",
    "ReplaySummary",
    "RetryPolicy",
    "TimestampsOutOfRange",
    "put_emf_lines",
    "put_records",
    "replay_paths",
]
