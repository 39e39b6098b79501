"""The events table's writer: event rows of one shard → Parquet files under `events/year=…/…/hour=…/`.

Composed into `EventsPipeline` (the events consumer writes its own lake rows, on AWS and locally alike): rows of
the records the pipeline counted are buffered, written per event hour when due (`interval_ms`, `max_rows`) or
forced, and the pipeline checkpoints nothing after `first_pending` before they are in S3. File names are
`<shard>-<first sequence>-<last sequence>`: rewriting the same records overwrites the same objects; a replay with
other batch boundaries can write an event twice, which the `events` view removes (one row per `event_key`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from consumers.decode.events import Event
from consumers.lake.transform import event_key
from consumers.model import Position
from schemas import events as ev
from schemas.envelope import LogEvent
from schemas.events_lake import EVENTS_PREFIX, arrow_schema
from schemas.lake import Partition, column_name, in_lake_range

Row = dict[str, Any]


def event_row(e: Event, key: str) -> Row:
    row: Row = {
        "timestamp": e.timestamp_ms,
        "event_name": e.name,
        "log_event_id": e.log_event_id,
        "event_key": key,
        "event_sequence": e.sequence,
        "user_key": e.user or None,
    }
    for a in ev.IDENTITY:
        row[column_name(a)] = e.identity.get(a)
    for a in ev.LABELS:
        row[column_name(a)] = e.labels.get(a)
    for a, n in e.numbers.items():
        row[column_name(a)] = n
    for a, f in e.flags.items():
        row[column_name(a)] = f
    return row


@dataclass
class EventsLake:
    s3: Any
    bucket: str
    shard_id: str
    interval_ms: int = 60_000
    max_rows: int = 100_000
    rows: list[Row] = field(default_factory=list)
    first_pending: Position | None = None
    last_pending: Position | None = None
    first_added_ms: int = 0
    files_written: int = 0

    def add(
        self, position: Position, log_stream: str, events: list[Event], log_events: list[LogEvent], now_ms: int
    ) -> None:
        kept = [e for e in events if in_lake_range(e.timestamp_ms)]
        if not kept:
            return
        if self.first_pending is None:
            self.first_pending, self.first_added_ms = position, now_ms
        self.last_pending = position
        self.rows += [event_row(e, event_key("", log_stream, log_events[e.index])) for e in kept]

    def due(self, now_ms: int) -> bool:
        return bool(self.rows) and (now_ms - self.first_added_ms >= self.interval_ms or len(self.rows) >= self.max_rows)

    def write(self) -> list[str]:
        """Put every buffered row (one file per event hour); raises on an S3 failure (the rows stay buffered)."""
        if not self.rows or self.first_pending is None or self.last_pending is None:
            return []
        name = f"{self.shard_id}-{self.first_pending[0]}-{self.last_pending[0]}"
        parts: dict[Partition, list[Row]] = {}
        for row in self.rows:
            parts.setdefault(Partition.of(row["timestamp"]), []).append(row)
        schema = arrow_schema()
        keys = []
        for part, rows in sorted(parts.items()):
            key = f"{EVENTS_PREFIX}{part.path}/{name}.parquet"
            rows.sort(key=lambda r: (r["timestamp"], r["event_key"]))
            sink = io.BytesIO()
            pq.write_table(pa.Table.from_pylist(rows, schema=schema), sink, compression="snappy")
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=sink.getvalue())
            keys.append(key)
        self.files_written += len(keys)
        self.drop()
        return keys

    def drop(self) -> None:
        self.rows = []
        self.first_pending = self.last_pending = None
