"""`replay_paths`: send fixture files into a deployment (emulator or AWS) the way production data arrives.

`*.emf.ndjson` goes through CloudWatch Logs (PutLogEvents into the log group, so the subscription filter runs);
`*.kinesis.jsonl` goes straight into the Kinesis stream (PutRecords, bytes kept). EMF inputs are read twice:
first to check their timestamps against what CloudWatch Logs accepts (see `timing`), then to send them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from consumers.aws import AwsTarget
from consumers.config import Names
from consumers.replay.errors import ReplayError, TimestampsOutOfRange
from consumers.replay.kinesis import KinesisStats, KinesisWriter, RetryPolicy
from consumers.replay.logs import LogEventWriter, LogsStats
from consumers.replay.sources import InputFormat, detect_format, read_captured, read_emf, read_emf_raw
from consumers.replay.timing import (
    AcceptedRange,
    TimeScan,
    iso,
    out_of_range_message,
    shift_emf_timestamp,
    shift_for,
    span_too_long,
)

Progress = Callable[[str], None]


@dataclass
class FileResult:
    path: str
    format: str
    items: int  # lines (emf) or records (kinesis) read


@dataclass
class ReplaySummary:
    """What a replay sent. `log_events_*` count the EMF path, `kinesis_records_sent` the direct path."""

    files: list[FileResult] = field(default_factory=list)
    log_group: str = ""
    log_streams: list[str] = field(default_factory=list)
    log_events_sent: int = 0
    log_events_rejected: int = 0
    log_events_skipped_too_large: int = 0
    log_events_without_timestamp: int = 0
    put_log_events_calls: int = 0
    kinesis_stream: str = ""
    kinesis_records_sent: int = 0
    kinesis_retried_entries: int = 0
    put_records_calls: int = 0
    shifted_by_ms: int = 0
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def replay_paths(
    target: AwsTarget,
    names: Names,
    paths: Sequence[Path | str],
    *,
    log_group: str | None = None,
    stream: str | None = None,
    log_stream: str | None = None,
    shift_to_now: bool = False,
    now_ms: int | None = None,
    progress: Progress | None = None,
    logs_client: Any = None,
    kinesis_client: Any = None,
    retry: RetryPolicy | None = None,
    sleep_s: Callable[[float], None] = time.sleep,
) -> ReplaySummary:
    """Replay every file in `paths` (format from the content, see `captures.py`) into `target`; returns what was sent.

    Raises `TimestampsOutOfRange` when CloudWatch Logs would reject EMF events and `shift_to_now` is off,
    `ReplayInputError` for unreadable inputs and `ReplayError` for missing resources or lasting failures.
    """
    say = progress or (lambda _text: None)
    files = [Path(p) for p in paths]
    kinds = {path: detect_format(path) for path in files}
    summary = ReplaySummary(log_group=log_group or names.log_group, kinesis_stream=stream or names.stream)
    now = int(time.time() * 1000) if now_ms is None else now_ms

    emf_files = [p for p in files if kinds[p] is InputFormat.EMF]
    shift_ms = _plan_shift(emf_files, now, shift_to_now, summary) if emf_files else 0
    summary.shifted_by_ms = shift_ms
    if emf_files:
        logs = logs_client or target.client("logs")
        _warn_without_subscription(logs, summary)
        writer = LogEventWriter(logs, summary.log_group, on_batch=_every(20, say, _logs_line))
        for path in emf_files:
            count = 0
            for event in read_emf(path):
                ts = event.timestamp_ms or 0  # read_emf fills every timestamp
                writer.add(
                    log_stream or event.log_stream(), ts + shift_ms, shift_emf_timestamp(event.message, shift_ms)
                )
                count += 1
            summary.files.append(FileResult(str(path), InputFormat.EMF.value, count))
            say(f"{path}: {count:,} EMF lines read")
        writer.flush()
        _fill_logs(summary, writer.stats)

    kinesis_files = [p for p in files if kinds[p] is InputFormat.KINESIS]
    if kinesis_files:
        kinesis = kinesis_client or target.client("kinesis")
        kwriter = KinesisWriter(
            kinesis, summary.kinesis_stream, retry=retry, sleep_s=sleep_s, on_call=_every(10, say, _kinesis_line)
        )
        for path in kinesis_files:
            count = 0
            for data, key in read_captured(path):
                kwriter.add(data, key)
                count += 1
            summary.files.append(FileResult(str(path), InputFormat.KINESIS.value, count))
            say(f"{path}: {count:,} Kinesis records read")
        kwriter.flush()
        _fill_kinesis(summary, kwriter.stats)
    return summary


def _plan_shift(paths: list[Path], now_ms: int, shift_to_now: bool, summary: ReplaySummary) -> int:
    """First pass over EMF inputs: refuse, or compute the shift, before anything is sent."""
    accepted = AcceptedRange.at(now_ms)
    scan = TimeScan()
    for path in paths:
        for event in read_emf_raw(path):
            scan.add(event.timestamp_ms, accepted)
    summary.log_events_without_timestamp = scan.without_timestamp
    if not shift_to_now:
        if scan.too_old or scan.too_new:
            raise TimestampsOutOfRange(out_of_range_message(scan, now_ms, ", ".join(map(str, paths))))
        return 0
    if span_too_long(scan) and scan.min_ms is not None and scan.max_ms is not None:
        raise TimestampsOutOfRange(
            f"the EMF inputs span {iso(scan.min_ms)} to {iso(scan.max_ms)}, more than CloudWatch Logs' 14-day "
            "window; even shifted to now the oldest events would be rejected. Split the input."
        )
    return shift_for(scan, now_ms)


def _warn_without_subscription(logs: Any, summary: ReplaySummary) -> None:
    try:
        filters = logs.describe_subscription_filters(logGroupName=summary.log_group).get("subscriptionFilters", [])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            raise ReplayError(
                f"log group {summary.log_group!r} does not exist; deploy first (`ccstream deploy`) or pass --log-group"
            ) from exc
        raise
    if not filters:
        summary.warnings.append(
            f"log group {summary.log_group!r} has no subscription filter: the events stay in CloudWatch Logs and "
            "never reach Kinesis (on moto, filters created by CloudFormation are skipped; create it via the API)"
        )


def _fill_logs(summary: ReplaySummary, stats: LogsStats) -> None:
    summary.log_streams = sorted(stats.streams)
    summary.log_events_sent = stats.events_sent
    summary.log_events_rejected = stats.rejected_too_old + stats.rejected_too_new + stats.rejected_expired
    summary.log_events_skipped_too_large = stats.skipped_too_large
    summary.put_log_events_calls = stats.calls
    if summary.log_events_rejected:
        summary.warnings.append(
            f"CloudWatch Logs rejected {summary.log_events_rejected:,} events (too old {stats.rejected_too_old:,}, "
            f"too new {stats.rejected_too_new:,}, expired {stats.rejected_expired:,}); see --shift-to-now"
        )
    if stats.skipped_too_large:
        summary.warnings.append(
            f"skipped {stats.skipped_too_large:,} events larger than one PutLogEvents call may carry (1 MiB)"
        )


def _fill_kinesis(summary: ReplaySummary, stats: KinesisStats) -> None:
    summary.kinesis_records_sent = stats.records_sent
    summary.kinesis_retried_entries = stats.retried_entries
    summary.put_records_calls = stats.calls


def _logs_line(stats: LogsStats) -> str:
    return f"  PutLogEvents: {stats.events_sent:,} events in {stats.calls:,} calls, {len(stats.streams)} streams"


def _kinesis_line(stats: KinesisStats) -> str:
    return f"  PutRecords: {stats.records_sent:,} records in {stats.calls:,} calls"


def _every(n: int, say: Progress, render: Callable[[Any], str]) -> Callable[[Any], None]:
    """A callback that reports on its 1st, (n+1)th, ... call."""
    calls = 0

    def report(stats: Any) -> None:
        nonlocal calls
        if calls % n == 0:
            say(render(stats))
        calls += 1

    return report
