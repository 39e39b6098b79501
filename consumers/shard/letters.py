"""The dead letters a shard's pipeline holds until its next flush, and the letter of a record it could not read.

Both pipelines (metrics and events) count every letter under `dead_letters.<reason>` when it is made and write the
held ones with the rows of the flush, so a letter and the checkpoint that skips its record land together.
"""

from __future__ import annotations

import base64
import logging

from consumers.model import DeadLetter, Position, SourceRecord, letter_of
from consumers.shard.counters import DEAD_LETTER_COUNTER, Counters
from consumers.sink.base import DeadLetterSink, ShardSnapshot, StateStore

log = logging.getLogger(__name__)

#: The reason of a record no stage could read (it is kept whole, base64, and never retried).
POISON_REASON = "poison_record"


def poison_letter(rec: SourceRecord, stage: str, exc: Exception) -> DeadLetter:
    """The whole record as a dead letter, naming the stage and the error that refused it."""
    log.warning("%s: record %s quarantined (%s: %r)", rec.shard_id, rec.sequence_number, stage, exc)
    detail = f"{stage}: {type(exc).__name__}: {exc}"
    return letter_of(rec, POISON_REASON, detail, -1, base64.b64encode(rec.data).decode())


class PendingLetters:
    """Letters made since the last flush; each is counted when it is added."""

    def __init__(self, counters: Counters) -> None:
        self.counters = counters
        self.letters: list[DeadLetter] = []

    def add(self, letter: DeadLetter) -> None:
        self.letters.append(letter)
        self.counters.add(f"{DEAD_LETTER_COUNTER}{letter.reason}")

    def write(self, sink: DeadLetterSink) -> None:
        if self.letters:
            sink.write(self.letters)
            self.letters = []

    def clear(self) -> None:
        self.letters.clear()

    def __bool__(self) -> bool:
        return bool(self.letters)


def saved_snapshot(state: StateStore, app: str, shard_id: str, checkpoint: Position) -> ShardSnapshot | None:
    """The snapshot saved for the KCL checkpoint a shard restarts from (None, with a warning, if there is none)."""
    for snap in state.load_snapshots(app, shard_id):
        if snap.position == checkpoint:
            return snap
    log.warning("%s: no saved state for checkpoint %s; starting with an empty watermark", shard_id, checkpoint)
    return None
