"""The events consumer's record processor: the aggregator's KCL adapter around `EventsPipeline`.

Run by its own MultiLangDaemon (KCL application `<prefix>-events`, stream `<prefix>-events`) as
`python -m consumers.kcl.events_processor`. Everything but the pipeline is the aggregator's
(`consumers/kcl/processor.py`): the failure policy (dead letters, transient retries, exit on fencing), the idle
flush, checkpoints only after rows, dead letters and the shard snapshot are stored, and the health metrics
(`Heartbeat`, `DeadLetters` per reason) under its own application name.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from amazon_kclpy import kcl

from consumers.events_pipeline import EventsPipeline
from consumers.kcl.health import ApplicationHealth
from consumers.kcl.processor import AggregatorProcessor, ProcessorSettings, parse_checkpoint
from consumers.lake.bucket import ensure_bucket, lake_bucket, s3_client
from consumers.lake.events import EventsLake
from consumers.pipeline import dead_letters_by_reason
from consumers.sink.base import Stores

log = logging.getLogger("ccstream.events_processor")


class EventsSettings(ProcessorSettings):
    def health_metrics(self) -> ApplicationHealth | None:
        if os.environ.get("CCSTREAM_PUBLISH_METRICS", "1") == "0":
            return None
        return ApplicationHealth(self.target.client("cloudwatch"), self.names.events_app)

    def build_lake(self, shard_id: str) -> EventsLake | None:
        """The events table writer into the lake bucket (`CCSTREAM_EVENTS_LAKE=0`: none)."""
        if os.environ.get("CCSTREAM_EVENTS_LAKE", "1") == "0":
            return None
        s3 = s3_client(self.target)
        bucket = lake_bucket(self.target, self.names)
        ensure_bucket(s3, bucket, self.target.region, create=self.target.is_emulator)
        interval = int(os.environ.get("CCSTREAM_LAKE_FLUSH_INTERVAL_MS", "60000"))
        return EventsLake(s3, bucket, shard_id, interval_ms=interval)

    def build_stores(self) -> Stores:
        stores = super().build_stores()
        return Stores(stores.rows, stores.dedup, stores.state, stores.dead_letters, metrics=None)


class EventsProcessor(AggregatorProcessor):
    def __init__(self, settings: EventsSettings, **kw: Any) -> None:
        super().__init__(settings, **kw)
        self.events_settings = settings

    def initialize(self, initialize_input: Any) -> None:
        self.shard_id = initialize_input.shard_id
        checkpoint = parse_checkpoint(initialize_input.sequence_number, initialize_input.sub_sequence_number)
        pipeline = EventsPipeline(
            self.settings.names.events_app,
            self.shard_id,
            self.settings.build_stores(),
            self.settings.tunables,
            lake=self.events_settings.build_lake(self.shard_id),
        )
        pipeline.restore(checkpoint)
        self.pipeline = pipeline  # type: ignore[assignment]  # the same interface as ShardPipeline
        self._dead_letters_reported = sum(dead_letters_by_reason(pipeline.counters.values).values())
        self._letters_reported = dead_letters_by_reason(pipeline.counters.values)
        self._last_records_ms = self.clock_ms()
        log.info("%s: initialized at %s", self.shard_id, initialize_input.sequence_number)


def main() -> None:
    logging.basicConfig(
        stream=sys.stderr, level=os.environ.get("CCSTREAM_LOG_LEVEL", "INFO"), format="%(name)s %(message)s"
    )
    base = ProcessorSettings.from_env()
    settings = EventsSettings(base.names, base.tunables, base.target, base.deadletter_bucket)
    kcl.KCLProcess(EventsProcessor(settings)).run()


if __name__ == "__main__":
    main()
