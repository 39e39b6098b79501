"""A tiny amazon_kclpy v3 record processor for the end-to-end test of the real MultiLangDaemon.

Run by the daemon as `python tests/kcl/seq_processor.py OUT_DIR`. For each batch it appends one line per record,
`<shard id> <sequence number> <data>`, to `OUT_DIR/<shard id>.records`, then checkpoints at the batch's last
record. `shard_ended` and `shutdown_requested` checkpoint too and append an event line to `OUT_DIR/events`.
Logs go to stderr: stdout is the protocol channel to the daemon.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from amazon_kclpy import kcl
from amazon_kclpy.checkpoint_error import CheckpointError
from amazon_kclpy.v3 import processor


def _checkpoint(checkpointer: object, sequence: str | None = None) -> None:
    for attempt in range(5):
        try:
            checkpointer.checkpoint(sequence)  # type: ignore[attr-defined]
            return
        except CheckpointError as exc:
            if exc.value == "ShutdownException":
                return
            print(f"checkpoint failed ({exc.value}), attempt {attempt + 1}", file=sys.stderr)
            time.sleep(0.2)


class SequenceRecorder(processor.RecordProcessorBase):
    """Writes every record's sequence number to a per-shard file and checkpoints after each batch."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.shard_id = "unknown"

    def _event(self, name: str) -> None:
        with (self.out_dir / "events").open("a", encoding="utf-8") as f:
            f.write(f"{self.shard_id} {name}\n")

    def initialize(self, initialize_input: object) -> None:
        self.shard_id = initialize_input.shard_id  # type: ignore[attr-defined]
        self._event("initialize")

    def process_records(self, process_records_input: object) -> None:
        records = process_records_input.records  # type: ignore[attr-defined]
        if not records:
            return
        lines = "".join(f"{self.shard_id} {r.sequence_number} {r.binary_data.decode('utf-8')}\n" for r in records)
        with (self.out_dir / f"{self.shard_id}.records").open("a", encoding="utf-8") as f:
            f.write(lines)
        _checkpoint(process_records_input.checkpointer, records[-1].sequence_number)  # type: ignore[attr-defined]

    def lease_lost(self, lease_lost_input: object) -> None:
        self._event("lease_lost")

    def shard_ended(self, shard_ended_input: object) -> None:
        self._event("shard_ended")
        _checkpoint(shard_ended_input.checkpointer)  # type: ignore[attr-defined]

    def shutdown_requested(self, shutdown_requested_input: object) -> None:
        self._event("shutdown_requested")
        _checkpoint(shutdown_requested_input.checkpointer)  # type: ignore[attr-defined]


if __name__ == "__main__":
    kcl.KCLProcess(SequenceRecorder(Path(sys.argv[1]))).run()
