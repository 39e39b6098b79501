"""Write a flushed batch to the lake bucket: one Parquet file per event-time hour, plus dead letters.

Layout (same as Firehose's dynamic partitioning prefix):
`metrics/year=YYYY/month=MM/day=DD/hour=HH/<shard>-<first seq>-<last seq>.parquet` and
`errors/transform/year=…/…/<same name>.jsonl`. Files carry `schemas.lake.arrow_schema()`; partition values are
only in the key. Names are deterministic, so writing the same records again overwrites the same objects.
"""

from __future__ import annotations

import io
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from consumers.lake.buffer import PendingBatch
from consumers.lake.deadletter import deadletter_key, encode_jsonl
from consumers.lake.transform import Row
from consumers.privacy.forgetlist import ForgetList, ForgetSnapshot
from schemas.lake import DATA_PREFIX, Partition, arrow_schema


def data_key(partition: Partition, name: str) -> str:
    return f"{DATA_PREFIX}{partition.path}/{name}.parquet"


def parquet_bytes(rows: list[Row], schema: pa.Schema | None = None) -> bytes:
    """Rows (dicts keyed by column name; missing = NULL) as one Snappy-compressed Parquet file."""
    schema = schema or arrow_schema()
    ordered = sorted(rows, key=lambda r: (r["timestamp"], r["event_key"], r["point_index"]))
    table = pa.Table.from_pylist(ordered, schema=schema)
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="snappy")
    return sink.getvalue()


#: The columns that name who a row belongs to (`ccstream forget` matches any of them).
IDENTITY_COLUMNS = ("user_email", "user_id", "user_key")


def forgotten_row(row: Row, forget: ForgetSnapshot) -> bool:
    return any(isinstance(row.get(c), str) and forget.forgets(row[c]) for c in IDENTITY_COLUMNS)


class LakeWriter:
    """Puts batches into one bucket. The S3 client is passed in (any boto3-compatible client)."""

    def __init__(self, s3: Any, bucket: str, forget: ForgetList | None = None) -> None:
        self.s3 = s3
        self.bucket = bucket
        self._schema = arrow_schema()
        #: People erased by `ccstream forget`: their rows are dropped before a file is written (a replay or a
        #: batch buffered while `forget` ran would otherwise put them back).
        self.forget = forget

    def write(self, batch: PendingBatch) -> list[str]:
        """Write every part of the batch; returns the object keys. Raises on any S3 failure (nothing is partial
        from the caller's point of view: it must not checkpoint and will rewrite the same keys)."""
        keys: list[str] = []
        forget = None if self.forget is None else self.forget.current()
        for part, all_rows in sorted(batch.rows.items()):
            rows = all_rows if forget is None else [r for r in all_rows if not forgotten_row(r, forget)]
            key = data_key(part, batch.name)
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=parquet_bytes(rows, self._schema))
            keys.append(key)
        letters = batch.dead_letters
        if forget is not None:
            letters = [dl for dl in letters if not forget.mentions_forgotten(dl.payload, dl.detail)]
        if letters:
            key = deadletter_key("transform", batch.first_arrival_ms, batch.name)
            self.s3.put_object(
                Bucket=self.bucket, Key=key, Body=encode_jsonl(letters), ContentType="application/x-ndjson"
            )
            keys.append(key)
        return keys
