"""Drive a record processor through amazon_kclpy's real stdio protocol, playing the MultiLangDaemon's part.

`KCLProcess.run()` runs in a thread reading JSON lines from a pipe; this harness writes the daemon's actions and
answers every `checkpoint` action the processor sends (success, or an error chosen by the test), so the tests see
exactly which checkpoints the processor asked for, in order. No Java needed.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from dataclasses import dataclass, field
from typing import Any

from amazon_kclpy import kcl


class ProcessExited(Exception):
    """The processor ended the process (SystemExit) before answering."""


@dataclass
class KinesisRecord:
    data: bytes
    sequence_number: int
    arrival_ms: int
    partition_key: str = "pk"
    sub_sequence_number: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "action": "record",  # the daemon tags every record; kclpy's JSON object hook dispatches on it
            "data": base64.b64encode(self.data).decode(),
            "partitionKey": self.partition_key,
            "sequenceNumber": str(self.sequence_number),
            "subSequenceNumber": self.sub_sequence_number,
            "approximateArrivalTimestamp": self.arrival_ms,
        }


@dataclass
class StdioDaemon:
    processor: Any
    checkpoints: list[tuple[str | None, int | None]] = field(default_factory=list)
    checkpoint_errors: list[str | None] = field(default_factory=list)  # consumed one per checkpoint
    stderr: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        to_proc_r, self._to_proc_w = os.pipe()
        self._from_proc_r, from_proc_w = os.pipe()
        self._in = os.fdopen(to_proc_r, "r")
        self._out = os.fdopen(from_proc_w, "w")
        self._writer = os.fdopen(self._to_proc_w, "w")
        self._reader = os.fdopen(self._from_proc_r, "r")
        self.exit_code: object = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        err = _ListFile(self.stderr)
        try:
            kcl.KCLProcess(self.processor, input_file=self._in, output_file=self._out, error_file=err).run()
        except SystemExit as exc:
            self.exit_code = exc.code
        except Exception as exc:  # a protocol error: make it visible to the test
            self.exit_code = repr(exc)
        finally:
            self._out.close()

    def _send(self, message: dict[str, Any]) -> None:
        self._writer.write(json.dumps(message) + "\n")
        self._writer.flush()

    def _until_status(self, action: str) -> None:
        while True:
            line = self._reader.readline()
            if not line:
                self._thread.join(5)
                raise ProcessExited(f"processor exited with {self.exit_code!r} during {action}")
            if not line.strip():
                continue
            msg = json.loads(line)
            if msg["action"] == "checkpoint":
                self.checkpoints.append((msg["sequenceNumber"], msg["subSequenceNumber"]))
                error = self.checkpoint_errors.pop(0) if self.checkpoint_errors else None
                reply = {
                    "action": "checkpoint",
                    "sequenceNumber": msg["sequenceNumber"],
                    "subSequenceNumber": msg["subSequenceNumber"],
                    "error": error,
                }
                self._send(reply)
            elif msg["action"] == "status" and msg["responseFor"] == action:
                return

    def initialize(self, shard_id: str, sequence_number: str = "TRIM_HORIZON") -> None:
        self._send(
            {"action": "initialize", "shardId": shard_id, "sequenceNumber": sequence_number, "subSequenceNumber": 0}
        )
        self._until_status("initialize")

    def process(self, records: list[KinesisRecord]) -> None:
        self._send({"action": "processRecords", "records": [r.to_json() for r in records], "millisBehindLatest": 0})
        self._until_status("processRecords")

    def shutdown_requested(self) -> None:
        self._send({"action": "shutdownRequested"})
        self._until_status("shutdownRequested")

    def lease_lost(self) -> None:
        self._send({"action": "leaseLost"})
        self._until_status("leaseLost")

    def shard_ended(self) -> None:
        self._send({"action": "shardEnded"})
        self._until_status("shardEnded")

    def close(self) -> None:
        self._writer.close()
        self._thread.join(5)
        self._reader.close()


class _ListFile:
    """A minimal text file that appends what is written to a list (the processor's stderr)."""

    def __init__(self, sink: list[str]) -> None:
        self.sink = sink

    def write(self, text: str) -> int:
        self.sink.append(text)
        return len(text)

    def flush(self) -> None:
        pass
