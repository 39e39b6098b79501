"""The aggregator's record processor: amazon_kclpy's v3 interface around `ShardPipeline`.

Run by the Java MultiLangDaemon as `python -m consumers.kcl.processor` (one process per shard lease); talks to the
daemon over stdin/stdout, so it logs to stderr only. Settings come from the environment (`AWS_ENDPOINT_URL`,
`AWS_REGION`, `CCSTREAM_*`, see `ProcessorSettings`).

Failure policy (kclpy swallows exceptions from processors and then moves on, which would skip records):
- a record that cannot be decoded is a dead letter (`ShardPipeline`), never a failure: the shard moves on;
- a transient store failure (throttling, timeouts, 5xx; `consumers.ddb.is_transient`) is retried with backoff
  inside the store call; if it outlasts that, a failed flush keeps all state and is retried with the next call
  (backing off), and is counted (`transient_failures` in the shard snapshot, metric `TransientFailures`) while
  it lasts; nothing is checkpointed that is not written; a transient failure while processing exits, so the KCL
  replays from the checkpoint;
- a non-transient failure exits the process (the KCL restarts the shard from its last checkpoint);
- a row fenced by a newer writer means another worker owns the shard: exit.

Idle flush: on an empty `process_records` call (`callProcessRecordsEvenForEmptyRecordList = true`) after
`idle_flush_ms` without records, every open row is written and the last record is checkpointed.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from dataclasses import dataclass
from typing import Any

from amazon_kclpy import kcl
from amazon_kclpy.v3 import processor

from consumers.aws import AwsTarget
from consumers.config import Names, Tunables
from consumers.ddb import is_transient
from consumers.kcl.checkpoint import checkpoint_with_retry
from consumers.kcl.health import ApplicationHealth
from consumers.model import Position, SourceRecord
from consumers.pipeline import ShardPipeline, dead_letters_by_reason
from consumers.privacy.forgetlist import DEFAULT_REFRESH_MS, ForgetList
from consumers.retention import RetentionSettings
from consumers.sink.base import FencedError, Stores
from consumers.sink.deadletter import S3DeadLetters, deadletter_client_config
from consumers.sink.dynamodb import DynamoStores

log = logging.getLogger("ccstream.processor")


@dataclass(frozen=True)
class ProcessorSettings:
    names: Names
    tunables: Tunables
    target: AwsTarget
    deadletter_bucket: str | None

    @classmethod
    def from_env(cls) -> ProcessorSettings:
        env = os.environ
        t = Tunables()
        tunables = Tunables(
            allowed_lateness_ms=int(env.get("CCSTREAM_ALLOWED_LATENESS_MS", t.allowed_lateness_ms)),
            max_future_ms=int(env.get("CCSTREAM_MAX_FUTURE_MS", t.max_future_ms)),
            flush_interval_ms=int(env.get("CCSTREAM_FLUSH_INTERVAL_MS", t.flush_interval_ms)),
            user_flush_interval_ms=int(env.get("CCSTREAM_USER_FLUSH_INTERVAL_MS", t.user_flush_interval_ms)),
            user_buckets=int(env.get("CCSTREAM_USER_BUCKETS", t.user_buckets)),
            window_buckets=_parse_per_size(env.get("CCSTREAM_WINDOW_BUCKETS"), t.window_buckets),
            size_flush_interval_ms=_parse_per_size(env.get("CCSTREAM_SIZE_FLUSH_INTERVALS"), t.size_flush_interval_ms),
            idle_flush_ms=int(env.get("CCSTREAM_IDLE_FLUSH_MS", t.idle_flush_ms)),
            max_groups_per_window=int(env.get("CCSTREAM_MAX_GROUPS_PER_WINDOW", t.max_groups_per_window)),
            max_sessions_per_user=int(env.get("CCSTREAM_MAX_SESSIONS_PER_USER", t.max_sessions_per_user)),
            retention=RetentionSettings.from_env(env),
        )
        return cls(Names.from_env(), tunables, AwsTarget.from_env(), env.get("CCSTREAM_DEADLETTER_BUCKET"))

    def health_metrics(self) -> ApplicationHealth | None:
        if os.environ.get("CCSTREAM_PUBLISH_METRICS", "1") == "0":
            return None
        return ApplicationHealth(self.target.client("cloudwatch"), self.names.consumer_app)

    def build_stores(self) -> Stores:
        client = self.target.client("dynamodb")
        refresh_ms = int(os.environ.get("CCSTREAM_FORGET_REFRESH_MS", DEFAULT_REFRESH_MS))
        forget = ForgetList(client, self.names.table, refresh_ms)
        ddb = DynamoStores(client, self.names.table, retention=self.tunables.retention, forget=forget)
        bucket = self.deadletter_bucket
        if not bucket:
            account = self.target.client("sts").get_caller_identity()["Account"]
            bucket = self.names.deadletter_bucket(account, self.target.region)
        metrics = None
        if os.environ.get("CCSTREAM_PUBLISH_METRICS", "1") != "0":
            from consumers.sink.cloudwatch import CloudWatchPublisher

            metrics = CloudWatchPublisher(self.target.client("cloudwatch"))
        return Stores(
            rows=ddb,
            dedup=ddb,
            state=ddb,
            dead_letters=S3DeadLetters(self.target.client("s3", **deadletter_client_config()), bucket, forget=forget),
            metrics=metrics,
        )


def _parse_per_size(text: str | None, default: dict[str, int]) -> dict[str, int]:
    """`1m=1,1h=2,1d=4` → {"1m": 1, "1h": 2, "1d": 4}; sizes not named keep their default."""
    out = dict(default)
    for part in (text or "").split(","):
        if "=" in part:
            size, n = part.split("=", 1)
            out[size.strip()] = max(1, int(n))
    return out


def _dead_letter_total(counters: dict[str, int]) -> int:
    return sum(dead_letters_by_reason(counters).values())


def _new_letters(now: dict[str, int], reported: dict[str, int]) -> dict[str, int]:
    """Dead letters per reason counted since `reported` (never negative)."""
    return {r: n - reported.get(r, 0) for r, n in now.items() if n > reported.get(r, 0)}


def fault_point(name: str) -> None:
    """Fault injection for the kill tests: with `CCSTREAM_FAULT_<NAME>=<file>` set and the file holding a count
    above zero, decrement it and SIGKILL this process here (e.g. after the rows landed, before the checkpoint)."""
    path = os.environ.get(f"CCSTREAM_FAULT_{name.upper()}")
    if not path:
        return
    try:
        with open(path, "r+") as f:
            left = int(f.read().strip() or 0)
            if left <= 0:
                return
            f.seek(0)
            f.write(str(left - 1))
            f.truncate()
    except (OSError, ValueError):
        return
    log.warning("fault injection: SIGKILL at %s", name)
    os.kill(os.getpid(), signal.SIGKILL)


def parse_checkpoint(seq: str | None, sub: int | None) -> Position | None:
    """The KCL's checkpoint as a position; None for TRIM_HORIZON / LATEST / AT_TIMESTAMP / no checkpoint."""
    if seq is None or not str(seq).isdigit():
        return None
    return int(seq), int(sub or 0)


def to_source_record(shard_id: str, r: Any) -> SourceRecord:
    return SourceRecord(
        shard_id=shard_id,
        sequence_number=int(r.sequence_number),
        sub_sequence_number=int(r.sub_sequence_number or 0),
        partition_key=r.partition_key,
        data=r.binary_data,
        arrival_ms=int(r.timestamp_millis or 0),
    )


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


#: Longest pause between retries of a flush that keeps failing transiently.
MAX_RETRY_PAUSE_S = 10.0


class AggregatorProcessor(processor.RecordProcessorBase):
    def __init__(self, settings: ProcessorSettings, clock_ms: Any = wall_clock_ms) -> None:
        self.settings = settings
        self.pipeline: ShardPipeline | None = None
        self.shard_id = ""
        self._flush_failures = 0
        self.health = settings.health_metrics()
        self._dead_letters_reported = 0
        self._letters_reported: dict[str, int] = {}
        self.clock_ms = clock_ms
        self._last_records_ms = clock_ms()

    # -- the five v3 callbacks ------------------------------------------------------------------------------
    def initialize(self, initialize_input: Any) -> None:
        self.shard_id = initialize_input.shard_id
        checkpoint = parse_checkpoint(initialize_input.sequence_number, initialize_input.sub_sequence_number)
        self.pipeline = ShardPipeline(
            self.settings.names.consumer_app, self.shard_id, self.settings.build_stores(), self.settings.tunables
        )
        self.pipeline.restore(checkpoint)
        self._dead_letters_reported = _dead_letter_total(self.pipeline.counters.values)
        self._letters_reported = dead_letters_by_reason(self.pipeline.counters.values)
        self._last_records_ms = self.clock_ms()
        log.info("%s: initialized at %s", self.shard_id, initialize_input.sequence_number)

    def process_records(self, process_records_input: Any) -> None:
        assert self.pipeline is not None
        records = [to_source_record(self.shard_id, r) for r in process_records_input.records]
        now = self.clock_ms()
        if self.health is not None:
            self.health.beat(now)
        if records:
            self._last_records_ms = now
        try:
            self.pipeline.process(records)
        except Exception as exc:
            kind = "transient" if is_transient(exc) else "non-transient"
            log.exception("%s: %s failure processing; exiting so the KCL replays", self.shard_id, kind)
            self._error()
            raise SystemExit(3) from None
        idle_ms = self.settings.tunables.idle_flush_ms
        idle = not records and idle_ms > 0 and now - self._last_records_ms >= idle_ms
        if idle and not self.pipeline.needs_idle_flush:
            return  # idle and clean: nothing to write, nothing to checkpoint
        self._flush_and_checkpoint(process_records_input.checkpointer, force=idle)

    def lease_lost(self, lease_lost_input: Any) -> None:
        log.warning("%s: lease lost; dropping in-memory state", self.shard_id)
        if self.pipeline is not None:
            self.pipeline.drop()

    def shard_ended(self, shard_ended_input: Any) -> None:
        self._flush_and_checkpoint(shard_ended_input.checkpointer, force=True, required=True)
        # Children only start once the parent is checkpointed at SHARD_END.
        self._checkpoint(shard_ended_input.checkpointer, None)
        log.info("%s: shard ended and checkpointed", self.shard_id)

    def shutdown_requested(self, shutdown_requested_input: Any) -> None:
        self._flush_and_checkpoint(shutdown_requested_input.checkpointer, force=True, required=True)
        log.info("%s: shutdown requested; flushed and checkpointed", self.shard_id)

    # -- helpers ----------------------------------------------------------------------------------------------
    def _flush_and_checkpoint(self, checkpointer: Any, force: bool, required: bool = False) -> None:
        """Flush what is due and checkpoint what is safe. A failed flush keeps all state (nothing is
        checkpointed) and is retried with the next batch; `required` (shutdown, shard end) retries here."""
        assert self.pipeline is not None
        attempts = 5 if required else 1
        snap = None
        for _ in range(attempts):
            try:
                snap = self.pipeline.flush(force=force)
                self._flush_failures = 0
                break
            except FencedError as exc:
                log.error("%s: another worker wrote newer rows (%s); exiting", self.shard_id, exc)
                raise SystemExit(4) from None
            except Exception as exc:  # keep state, never checkpoint what is not written
                self._error()
                if not is_transient(exc):
                    log.exception("%s: flush failed (not transient); exiting so the KCL replays", self.shard_id)
                    raise SystemExit(5) from None
                self._flush_failures += 1
                self.pipeline.counters.add("transient_failures")
                if self.health is not None:
                    self.health.emit("TransientFailures", 1)
                log.warning("%s: flush failed (%s), %d in a row; retrying", self.shard_id, exc, self._flush_failures)
                # Back off (the KCL calls again right after we return); the state is kept, so nothing is lost.
                time.sleep(min(0.2 * 2 ** min(self._flush_failures, 6), MAX_RETRY_PAUSE_S))
        else:
            if required:
                raise SystemExit(5)
            return
        if snap is not None:
            self.pipeline.remember_checkpoint(snap)
            fault_point("before_checkpoint")
            self._checkpoint(checkpointer, snap.position)
            self._report_dead_letters(snap.counters)

    def _error(self) -> None:
        if self.health is not None:
            self.health.emit("ConsumerErrors", 1)

    def _report_dead_letters(self, counters: dict[str, int]) -> None:
        """Publish the dead letters counted since the last checkpoint (replays restore the counters first, so a
        replayed record's dead letter is reported once per process, as it is stored once)."""
        total = _dead_letter_total(counters)
        by_reason = dead_letters_by_reason(counters)
        if total > self._dead_letters_reported and self.health is not None:
            self.health.emit("DeadLetterRecords", total - self._dead_letters_reported)
            self.health.dead_letters(_new_letters(by_reason, self._letters_reported))
        self._dead_letters_reported = total
        self._letters_reported = by_reason

    def _checkpoint(self, checkpointer: Any, position: Position | None) -> None:
        error = checkpoint_with_retry(checkpointer, position)
        if error == "ShutdownException":
            log.warning("%s: checkpoint refused (lease lost or shutting down)", self.shard_id)
            if self.pipeline is not None:
                self.pipeline.drop()
        elif error is not None:
            log.error("%s: checkpoint failed: %s", self.shard_id, error)


def main() -> None:
    logging.basicConfig(
        stream=sys.stderr, level=os.environ.get("CCSTREAM_LOG_LEVEL", "INFO"), format="%(name)s %(message)s"
    )
    kcl.KCLProcess(AggregatorProcessor(ProcessorSettings.from_env())).run()


if __name__ == "__main__":
    main()
