"""The lake writer's record processor (amazon_kclpy v3): subscription records → Parquet files in the lake bucket.

Run by the MultiLangDaemon as `python -m consumers.kcl.lake_processor`, as its own KCL application
(`Names.lake_app`, so it has its own lease table and checkpoints). It is the local stand-in for Firehose: the same
transform as the Firehose Lambda, Firehose-like buffering (`CCSTREAM_LAKE_MAX_ROWS`, `CCSTREAM_LAKE_FLUSH_INTERVAL_MS`)
and the same object layout, written with pyarrow. Logs go to stderr (stdout is the daemon's protocol).

Exactly what is checkpointed: after a flush has put every file of the buffered records into S3, the last of those
records. Failure policy (kclpy swallows exceptions and the KCL would move on):
- S3 writes are retried `max_write_attempts` times with backoff; then the process exits and the KCL replays from
  the last checkpoint (the same records give the same object keys; the view `metrics` removes other duplicates);
- any other exception while processing exits the same way;
- lease lost: the buffer is dropped (nothing can be checkpointed; the next owner re-reads it);
- shard ended / shutdown requested: flush, then checkpoint (at SHARD_END for an ended shard).

With `callProcessRecordsEvenForEmptyRecordList = true` in the daemon's properties (set in kcl.properties) the age
limit also fires on an idle stream, and an empty call after `CCSTREAM_IDLE_FLUSH_MS` (default 5 s) without records
writes the buffer and checkpoints its last record, as the aggregator does, so `ccstream consume --until-idle` can
stop soon after the stream is drained.

Health (best effort, never stops the shard): `Heartbeat` at most once a minute on every processRecords call and
`DeadLetters` per `Reason` after each flush (namespace ClaudeCode, dimension Application = the lake app), for the
alarms of infra/streaming.yaml. Decode limits come from `CCSTREAM_MAX_*` (`consumers.decode.limits`).
"""

from __future__ import annotations

import base64
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from amazon_kclpy import kcl
from amazon_kclpy.v3 import processor

from consumers.aws import AwsTarget
from consumers.config import Names
from consumers.decode.limits import DecodeLimits
from consumers.kcl.checkpoint import checkpoint_with_retry
from consumers.kcl.health import ApplicationHealth
from consumers.lake.bucket import ensure_bucket, lake_bucket, s3_client
from consumers.lake.buffer import BufferLimits, LakeBuffer, PendingBatch, Position
from consumers.lake.deadletter import LakeDeadLetter
from consumers.lake.transform import (
    MAX_PAYLOAD_CHARS,
    MAX_RECORD_POINTS,
    RecordRows,
    max_record_points_from_env,
    transform_record,
)
from consumers.lake.writer import LakeWriter
from consumers.privacy.forgetlist import DEFAULT_REFRESH_MS, ForgetList
from consumers.shard.letters import POISON_REASON

log = logging.getLogger("ccstream.lake")
#: Bytes of a quarantined record kept in its dead letter (base64: MAX_PAYLOAD_CHARS characters).
LAKE_PAYLOAD_BYTES = MAX_PAYLOAD_CHARS * 3 // 4


@dataclass(frozen=True)
class LakeSettings:
    target: AwsTarget
    names: Names
    limits: BufferLimits
    max_write_attempts: int = 5
    decode: DecodeLimits = field(default_factory=DecodeLimits)
    max_record_points: int = MAX_RECORD_POINTS

    @classmethod
    def from_env(cls) -> LakeSettings:
        env, d = os.environ, BufferLimits()
        limits = BufferLimits(
            max_rows=int(env.get("CCSTREAM_LAKE_MAX_ROWS", d.max_rows)),
            max_age_ms=int(env.get("CCSTREAM_LAKE_FLUSH_INTERVAL_MS", d.max_age_ms)),
            idle_flush_ms=int(env.get("CCSTREAM_IDLE_FLUSH_MS", d.idle_flush_ms)),
        )
        return cls(
            AwsTarget.from_env(),
            Names.from_env(),
            limits,
            decode=DecodeLimits.from_env(),
            max_record_points=max_record_points_from_env(),
        )

    def health(self) -> ApplicationHealth | None:
        if os.environ.get("CCSTREAM_PUBLISH_METRICS", "1") == "0":
            return None
        return ApplicationHealth(self.target.client("cloudwatch"), self.names.lake_app)

    def build_writer(self) -> LakeWriter:
        s3 = s3_client(self.target)
        bucket = lake_bucket(self.target, self.names)
        ensure_bucket(s3, bucket, self.target.region, create=self.target.is_emulator)
        refresh_ms = int(os.environ.get("CCSTREAM_FORGET_REFRESH_MS", DEFAULT_REFRESH_MS))
        return LakeWriter(s3, bucket, ForgetList(self.target.client("dynamodb"), self.names.table, refresh_ms))


def _now_ms() -> int:
    return int(time.time() * 1000)


class LakeRecordProcessor(processor.RecordProcessorBase):
    """One shard's lake writer. `writer` puts batches into S3; `clock_ms` and `sleep` are injectable."""

    def __init__(
        self,
        writer: LakeWriter,
        limits: BufferLimits | None = None,
        *,
        max_write_attempts: int = 5,
        clock_ms: Callable[[], int] = _now_ms,
        sleep: Callable[[float], None] = time.sleep,
        decode: DecodeLimits | None = None,
        health: ApplicationHealth | None = None,
        max_record_points: int = MAX_RECORD_POINTS,
    ) -> None:
        self.decode = decode or DecodeLimits()
        self.max_record_points = max_record_points
        self.health = health
        self.writer = writer
        self.limits = limits or BufferLimits()
        self.max_write_attempts = max_write_attempts
        self.clock_ms = clock_ms
        self.sleep = sleep
        self.shard_id = ""
        self.buffer = LakeBuffer("", self.limits)
        self.last_records_ms = 0

    # -- the five v3 callbacks ------------------------------------------------------------------------------
    def initialize(self, initialize_input: Any) -> None:
        self.shard_id = initialize_input.shard_id
        self.buffer = LakeBuffer(self.shard_id, self.limits)
        self.last_records_ms = self.clock_ms()
        log.info("%s: lake writer starting after %s", self.shard_id, initialize_input.sequence_number)

    def process_records(self, process_records_input: Any) -> None:
        try:
            now = self.clock_ms()
            if self.health is not None:
                self.health.beat(now)
            if process_records_input.records:
                self.last_records_ms = now
            for r in process_records_input.records:
                position: Position = (int(r.sequence_number), int(r.sub_sequence_number or 0))
                if self.buffer.last is not None and position <= self.buffer.last:
                    continue  # already buffered (the KCL re-delivered it)
                out = self._transform(r.binary_data, f"{self.shard_id}/{r.sequence_number}")
                self.buffer.add(position, int(r.timestamp_millis or now), out, now)
            later = self.clock_ms()
            if self.buffer.should_flush(later) or self.buffer.idle(later, self.last_records_ms):
                self._flush_and_checkpoint(process_records_input.checkpointer)
        except SystemExit:
            raise
        except Exception:
            log.exception("%s: processing failed; exiting so the KCL replays from the last checkpoint", self.shard_id)
            raise SystemExit(3) from None

    def lease_lost(self, lease_lost_input: Any) -> None:
        log.warning("%s: lease lost; dropping the unwritten buffer", self.shard_id)
        self.buffer.clear()

    def shard_ended(self, shard_ended_input: Any) -> None:
        batch = self.buffer.take()
        if batch is not None:
            self._write(batch)
        self._checkpoint(shard_ended_input.checkpointer, None)  # SHARD_END: children start only after this
        log.info("%s: shard ended; flushed and checkpointed", self.shard_id)

    def shutdown_requested(self, shutdown_requested_input: Any) -> None:
        self._flush_and_checkpoint(shutdown_requested_input.checkpointer)
        log.info("%s: shutdown requested; flushed and checkpointed", self.shard_id)

    # -- helpers ----------------------------------------------------------------------------------------------
    def _transform(self, data: bytes, source: str) -> RecordRows:
        """The record's rows; a record whose transform raises (a bug, or an input no rule foresaw) is quarantined
        as a `poison_record` dead letter with its payload, so it never holds the shard (only S3 failures do)."""
        try:
            return transform_record(data, source, self.decode.line, self.max_record_points)
        except Exception as exc:
            log.warning("%s: record %s quarantined (%r)", self.shard_id, source, exc)
            detail = f"transform: {type(exc).__name__}: {str(exc)[:400]}"
            payload = base64.b64encode(data[:LAKE_PAYLOAD_BYTES]).decode()
            return RecordRows("bad", dead_letters=[LakeDeadLetter(POISON_REASON, detail, source, payload)])

    def _flush_and_checkpoint(self, checkpointer: Any) -> None:
        batch = self.buffer.take()
        if batch is None:
            return
        self._write(batch)
        self._checkpoint(checkpointer, batch.last)

    def _write(self, batch: PendingBatch) -> None:
        for attempt in range(1, self.max_write_attempts + 1):
            try:
                keys = self.writer.write(batch)
            except Exception as exc:
                log.warning("%s: writing %s failed (attempt %d): %s", self.shard_id, batch.name, attempt, exc)
                if attempt == self.max_write_attempts:
                    log.error("%s: giving up on %s; exiting so the KCL replays", self.shard_id, batch.name)
                    raise SystemExit(5) from None
                self.sleep(min(0.2 * 2 ** (attempt - 1), 5.0))
                continue
            if self.health is not None and batch.dead_letters:
                by_reason: dict[str, int] = {}
                for dl in batch.dead_letters:
                    by_reason[dl.reason] = by_reason.get(dl.reason, 0) + 1
                self.health.dead_letters(by_reason)
            log.info(
                "%s: wrote %d rows of %d records, %d dead letters, %d objects",
                self.shard_id,
                batch.row_count,
                batch.records,
                len(batch.dead_letters),
                len(keys),
            )
            return

    def _checkpoint(self, checkpointer: Any, position: Position | None) -> None:
        error = checkpoint_with_retry(checkpointer, position, sleep=self.sleep)
        if error is not None:
            # ShutdownException / InvalidStateException: the lease is gone. The files are in S3; the next
            # owner rewrites them from its checkpoint (same keys when the batches match, else the view dedups).
            log.warning("%s: checkpoint refused: %s", self.shard_id, error)
            self.buffer.clear()


def main() -> None:
    logging.basicConfig(
        stream=sys.stderr, level=os.environ.get("CCSTREAM_LOG_LEVEL", "INFO"), format="%(name)s %(message)s"
    )
    settings = LakeSettings.from_env()
    proc = LakeRecordProcessor(
        settings.build_writer(),
        settings.limits,
        max_write_attempts=settings.max_write_attempts,
        decode=settings.decode,
        health=settings.health(),
        max_record_points=settings.max_record_points,
    )
    kcl.KCLProcess(proc).run()


if __name__ == "__main__":
    main()
