"""Write simulated telemetry in the two fixture formats, streaming.

- `emf` (`*.emf.ndjson`): the raw EMF lines, one per line, as the collector writes them. On replay the log event
  timestamp is the line's `_aws.Timestamp` and the log stream is `collector_log_stream(session.id)`.
- `kinesis` (`*.kinesis.jsonl`): captured Kinesis records (see `capture`), subscription envelopes included.
- `otlp` (`*.otlp.jsonl`): what the CLI processes send, before any collector: one OTLP/HTTP JSON
  `ExportMetricsServiceRequest` per line (see `otlp`); `ccstream replay` does not take it (a collector does).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import BinaryIO

from consumers.generate.capture import capture, encode_captured
from consumers.generate.lines import EmfLine
from consumers.generate.otlp import encode_request
from consumers.generate.simulator import Export
from consumers.generate.subscription import SubscriptionOptions, pack


class OutputFormat(StrEnum):
    EMF = "emf"
    KINESIS = "kinesis"
    OTLP = "otlp"


#: File name endings of each format.
SUFFIXES = {OutputFormat.EMF: ".emf.ndjson", OutputFormat.KINESIS: ".kinesis.jsonl", OutputFormat.OTLP: ".otlp.jsonl"}


def format_for_path(path: str) -> OutputFormat | None:
    """The format a file name implies, or None."""
    for fmt, suffix in SUFFIXES.items():
        if path.endswith(suffix):
            return fmt
    return None


def write_emf(lines: Iterable[EmfLine], out: BinaryIO) -> int:
    """Write one EMF line per line; returns the number written."""
    count = 0
    for line in lines:
        out.write(line.line.encode())
        out.write(b"\n")
        count += 1
    return count


def write_otlp(exports: Iterable[Export], out: BinaryIO, events: bool = False) -> int:
    """Write one OTLP/HTTP JSON request per line (exports without series send nothing); returns requests written.
    With `events`, each export's logs request (`resourceLogs`, `consumers/generate/otlp_events.py`) follows it."""
    from consumers.generate.otlp_events import encode_logs_request

    count = 0
    for export in exports:
        if not export.series:
            continue
        bodies = [encode_request(export)]
        logs = encode_logs_request(export) if events else None
        if logs is not None:
            bodies.append(logs)
        for body in bodies:
            out.write(body)
            out.write(b"\n")
            count += 1
    return count


def write_kinesis(
    lines: Iterable[EmfLine],
    out: BinaryIO,
    options: SubscriptionOptions | None = None,
    shards: int = 2,
    workers: int = 2,
) -> int:
    """Pack lines into subscription records and write one captured record per line; returns records written."""
    count = 0
    for record in capture(pack(lines, options), shards, workers):
        out.write(encode_captured(record))
        out.write(b"\n")
        count += 1
    return count
