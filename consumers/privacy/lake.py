"""Erasing one person from the Parquet lake: every object under `metrics/` holding one of their rows is rewritten
without them (deleted when nothing is left), and every older version of it is deleted. The layout stays the one
Athena and DuckDB read (`schemas/lake.py`): same keys, same schema, partition values in the key."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from consumers.lake.writer import IDENTITY_COLUMNS
from consumers.privacy import objects
from consumers.privacy.targets import Targets
from schemas.lake import DATA_PREFIX


@dataclass
class LakeReport:
    objects_scanned: int = 0
    objects_rewritten: int = 0
    objects_deleted: int = 0
    rows_removed: int = 0
    versions_deleted: int = 0
    partitions: set[str] = field(default_factory=set)
    #: objects in Glacier that could not be read: restore them (`aws s3api restore-object`) and run forget again
    archived: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: v for k, v in vars(self).items() if isinstance(v, int)}
        out["partitions"] = sorted(self.partitions)
        out["archived"] = sorted(self.archived)
        return out


def _mask(table: pa.Table, targets: Targets) -> pa.ChunkedArray | pa.Array:
    wanted = pa.array(sorted(targets.identities), pa.string())
    mask = pa.array([False] * table.num_rows, pa.bool_())
    for name in IDENTITY_COLUMNS:
        if name in table.column_names:
            normalised = pc.utf8_lower(pc.utf8_trim_whitespace(table[name]))
            mask = pc.or_(mask, pc.fill_null(pc.is_in(normalised, value_set=wanted), False))
    return mask


def related_ids(s3: Any, bucket: str, targets: Targets) -> set[str]:
    """The `user_id` values of rows whose e-mail or key is one of the person's (their installations' ids), so
    data points they sent without an e-mail are found too."""
    found: set[str] = set()
    for key in objects.list_keys(s3, bucket, DATA_PREFIX, ".parquet"):
        try:
            body = objects.read(s3, bucket, key)
        except objects.Archived:
            continue  # reported by erase_lake
        table = pq.read_table(io.BytesIO(body), columns=list(IDENTITY_COLUMNS))
        rows = table.filter(_mask(table.select(["user_email", "user_key"]), targets))
        found.update(v for v in rows["user_id"].to_pylist() if v)
    return found


def erase_lake(s3: Any, bucket: str, targets: Targets, dry_run: bool) -> LakeReport:
    report = LakeReport()
    for key in list(objects.list_keys(s3, bucket, DATA_PREFIX, ".parquet")):
        report.objects_scanned += 1
        try:
            body = objects.read(s3, bucket, key)
        except objects.Archived:
            report.archived.append(key)
            continue
        table = pq.read_table(io.BytesIO(body))
        mask = _mask(table, targets)
        hits = pc.sum(mask).as_py() or 0
        if not hits:
            continue
        report.rows_removed += hits
        report.partitions.add(key[len(DATA_PREFIX) :].rsplit("/", 1)[0])
        kept = table.filter(pc.invert(mask))
        if kept.num_rows == 0:
            report.objects_deleted += 1
            if not dry_run:
                report.versions_deleted += objects.replace(s3, bucket, key, None, "")
            continue
        report.objects_rewritten += 1
        if not dry_run:
            sink = io.BytesIO()
            pq.write_table(kept, sink, compression="snappy")
            report.versions_deleted += objects.replace(
                s3, bucket, key, sink.getvalue(), "application/vnd.apache.parquet"
            )
    return report
