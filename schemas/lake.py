"""The Parquet lake's one schema: columns (name, Glue type, Arrow type), partitions and object layout.

Every consumer of the lake schema is generated from this module or tested against it: the Glue table columns in
`infra/analytics.yaml` (`glue_columns()`, `glue_table_input()`), the Parquet files the local lake writer puts in S3
(`arrow_schema()`), and the JSON rows the Firehose transform returns (`DATA_COLUMN_NAMES`).

One row per data point. The seed's columns come first and keep their meaning, so the seed's Athena queries run as
written: `timestamp` (event time, epoch ms), `token_usage` (= `value` for `claude_code.token.usage`, NULL for every
other metric, so `SUM(token_usage)` is a token total), `user_id` (the raw `user.id` attribute), `session_id`,
`model`, `type`, ... Then `metric`, `value`, `unit`, the delivery identity (`log_event_id`, `event_key`,
`point_index`), `user_key` (`user.email`, falling back to `user.id`; use it to count people), one column per
attribute the catalogue knows and `attributes`, a map of the attributes it does not know.

Partitions are event time in UTC, `year`/`month`/`day`/`hour`, typed `int` so that the seed's
`year >= YEAR(CURRENT_DATE - INTERVAL '7' DAY)` compares numbers (Trino refuses `varchar >= bigint`). Object keys
are Hive style with zero-padded values: `metrics/year=2026/month=05/day=03/hour=07/<file>.parquet`; Athena finds
them by partition projection (`projection.<col>.digits = 2`).

pyarrow is imported only inside `arrow_schema()`, so the Firehose transform Lambda can import this module without it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from schemas.catalogue import KNOWN_ATTRIBUTES

if TYPE_CHECKING:
    import pyarrow as pa

#: Glue table holding the Parquet files (one row per delivered data point, duplicates included).
RAW_TABLE = "metrics_raw"
#: View over RAW_TABLE keeping one row per (event_key, point_index); the seed's queries read `metrics`.
VIEW = "metrics"
#: Object key prefix of the Parquet files in the lake bucket.
DATA_PREFIX = "metrics/"
#: Object key prefix of records the transform could not use (Firehose ErrorOutputPrefix root as well).
ERROR_PREFIX = "errors/"
#: First year covered by the `year` partition projection.
FIRST_YEAR = 2025
LAST_YEAR = 2099


@dataclass(frozen=True)
class LakeColumn:
    """One lake column. `source` is the EMF attribute it is filled from (None for derived columns)."""

    name: str
    glue_type: str
    arrow_type: str
    comment: str
    source: str | None = None


_ARROW_TYPES = ("int64", "int32", "float64", "string", "map<string,string>")
_GLUE_FOR_ARROW = {
    "int64": "bigint",
    "int32": "int",
    "float64": "double",
    "string": "string",
    "map<string,string>": "map<string,string>",
}

#: Attribute → column names that do not follow the general rule (dots and camelCase → snake_case).
_SPECIAL_NAMES = {"OTelLib": "otel_lib"}


def column_name(attribute: str) -> str:
    """Lake column name of an EMF attribute: `user.email` → `user_email`, `team.id` → `team_id`."""
    if attribute in _SPECIAL_NAMES:
        return _SPECIAL_NAMES[attribute]
    snake = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", attribute)
    return re.sub(r"[^a-z0-9]+", "_", snake.lower()).strip("_")


def attribute_column(
    attribute: str, comment: str = "", *, glue_type: str = "string", arrow_type: str = "string"
) -> LakeColumn:
    """The column filled from an attribute, named by `column_name` (the metrics and the events table alike)."""
    return LakeColumn(column_name(attribute), glue_type, arrow_type, comment or f"attribute {attribute}", attribute)


#: The seed's columns, in the seed's order (its queries and any saved ones keep working).
_SEED_COLUMNS = (
    LakeColumn("timestamp", "bigint", "int64", "event time, epoch milliseconds (EMF _aws.Timestamp)"),
    LakeColumn("token_usage", "double", "float64", "value when metric = claude_code.token.usage, else NULL"),
    attribute_column("user.id", "attribute user.id (anonymous installation id or hashed IdP subject)"),
    attribute_column("session.id"),
    attribute_column("model"),
    attribute_column("type", "attribute type (token type, lines added/removed, active time user/cli)"),
    attribute_column("terminal.type"),
    attribute_column("organization.id"),
    attribute_column("OTelLib"),
    attribute_column("user.email", "attribute user.email (OAuth sign-in only; may be NULL)"),
    attribute_column("user.account_uuid"),
)

_POINT_COLUMNS = (
    LakeColumn("metric", "string", "string", "metric name, e.g. claude_code.token.usage"),
    LakeColumn("value", "double", "float64", "data point value (delta)"),
    LakeColumn("unit", "string", "string", "unit as written by awsemf (tokens, USD, Count, Seconds)"),
    LakeColumn("log_event_id", "string", "string", "CloudWatch Logs event id as delivered (moto: small ints)"),
    LakeColumn("event_key", "string", "string", "hash of (log group, log stream, event id, timestamp, message)"),
    LakeColumn("point_index", "int", "int32", "position of the data point within its log event"),
    LakeColumn("user_key", "string", "string", "user.email, else user.id: who the data point belongs to"),
)

_MAP_COLUMN = LakeColumn(
    "attributes", "map<string,string>", "map<string,string>", "attributes without a column of their own"
)


def _build_columns() -> tuple[LakeColumn, ...]:
    cols = list(_SEED_COLUMNS) + list(_POINT_COLUMNS)
    covered = {c.source for c in cols if c.source}
    cols += [attribute_column(a) for a in KNOWN_ATTRIBUTES if a not in covered]
    cols.append(_MAP_COLUMN)
    names = [c.name for c in cols]
    clashes = sorted({n for n in names if names.count(n) > 1} | (set(names) & set(PARTITION_COLUMN_NAMES)))
    if clashes:
        raise ValueError(f"lake column names collide: {clashes}; add the attribute to _SPECIAL_NAMES")
    for c in cols:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", c.name) or c.arrow_type not in _ARROW_TYPES:
            raise ValueError(f"bad lake column {c}")
        if _GLUE_FOR_ARROW[c.arrow_type] != c.glue_type:
            raise ValueError(f"lake column {c.name}: Glue {c.glue_type} does not match Arrow {c.arrow_type}")
    return tuple(cols)


PARTITION_COLUMN_NAMES = ("year", "month", "day", "hour")
#: Partition columns (Hive-style path segments, not stored inside the Parquet files).
PARTITION_COLUMNS = tuple(
    LakeColumn(n, "int", "int32", f"event time {n} (UTC), from the object key") for n in PARTITION_COLUMN_NAMES
)
#: Data columns, in file order.
DATA_COLUMNS: tuple[LakeColumn, ...] = _build_columns()
DATA_COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in DATA_COLUMNS)
#: EMF attribute → column for every attribute with a column of its own.
ATTRIBUTE_COLUMNS: dict[str, str] = {c.source: c.name for c in DATA_COLUMNS if c.source}


#: Event times the partition projection covers: [FIRST_YEAR-01-01, LAST_YEAR+1-01-01) UTC, in ms.
LAKE_MIN_MS = int(datetime(FIRST_YEAR, 1, 1, tzinfo=UTC).timestamp() * 1000)
LAKE_END_MS = int(datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC).timestamp() * 1000)


def in_lake_range(timestamp_ms: int) -> bool:
    """True when a row at this event time lands in a projected partition (else it would be invisible)."""
    return LAKE_MIN_MS <= timestamp_ms < LAKE_END_MS


class Partition(NamedTuple):
    """The event-time hour a row belongs to (UTC)."""

    year: int
    month: int
    day: int
    hour: int

    @classmethod
    def of(cls, timestamp_ms: int) -> Partition:
        """The hour of `timestamp_ms`; ValueError (never OverflowError) outside the projection range."""
        if not in_lake_range(timestamp_ms):
            raise ValueError(f"event time {timestamp_ms} is outside the lake's partitions {FIRST_YEAR}-{LAST_YEAR}")
        t = datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC)
        return cls(t.year, t.month, t.day, t.hour)

    @property
    def path(self) -> str:
        """`year=2026/month=05/day=03/hour=07` (no slashes around it)."""
        return "/".join(f"{k}={v}" for k, v in self.keys().items())

    def keys(self) -> dict[str, str]:
        """Zero-padded string values: Firehose `partitionKeys` and the object key segments."""
        return {
            "year": f"{self.year:04d}",
            "month": f"{self.month:02d}",
            "day": f"{self.day:02d}",
            "hour": f"{self.hour:02d}",
        }


def glue_columns() -> list[dict[str, str]]:
    """The Glue `StorageDescriptor.Columns` list (CloudFormation `AWS::Glue::Table` spelling)."""
    return [{"Name": c.name, "Type": c.glue_type, "Comment": c.comment} for c in DATA_COLUMNS]


def glue_partition_keys() -> list[dict[str, str]]:
    """The Glue `PartitionKeys` list."""
    return [{"Name": c.name, "Type": c.glue_type, "Comment": c.comment} for c in PARTITION_COLUMNS]


def location_template(bucket_location: str) -> str:
    """`storage.location.template` for a table at `s3://bucket/metrics/`."""
    base = bucket_location.rstrip("/") + "/"
    return base + "/".join(f"{n}=${{{n}}}" for n in PARTITION_COLUMN_NAMES) + "/"


def projection_parameters(location: str) -> dict[str, str]:
    """Glue table `Parameters` enabling partition projection over the event-time layout."""
    params = {
        "classification": "parquet",
        "EXTERNAL": "TRUE",
        "parquet.compression": "SNAPPY",
        "projection.enabled": "true",
        "projection.year.type": "integer",
        "projection.year.range": f"{FIRST_YEAR},{LAST_YEAR}",
        "storage.location.template": location_template(location),
    }
    for name, lo, hi in (("month", 1, 12), ("day", 1, 31), ("hour", 0, 23)):
        params[f"projection.{name}.type"] = "integer"
        params[f"projection.{name}.range"] = f"{lo},{hi}"
        params[f"projection.{name}.digits"] = "2"
    return params


def parquet_table_input(name: str, location: str, columns: list[dict[str, str]]) -> dict[str, Any]:
    """A Glue `TableInput` of Parquet files at `location` under the event-time partition projection (every lake
    table: `metrics_raw` here, `events_raw` in `schemas/events_lake.py`)."""
    return {
        "Name": name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": projection_parameters(location),
        "PartitionKeys": glue_partition_keys(),
        "StorageDescriptor": {
            "Columns": columns,
            "Location": location,
            "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            "SerdeInfo": {
                "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
                "Parameters": {"serialization.format": "1"},
            },
        },
    }


def glue_table_input(location: str) -> dict[str, Any]:
    """The whole Glue `TableInput` of RAW_TABLE at `location` (e.g. `s3://<lake bucket>/metrics/`)."""
    return parquet_table_input(RAW_TABLE, location, glue_columns())


def arrow_type(spec: str) -> pa.DataType:
    import pyarrow as pa

    return {
        "int64": pa.int64(),
        "int32": pa.int32(),
        "float64": pa.float64(),
        "string": pa.string(),
        "map<string,string>": pa.map_(pa.string(), pa.string()),
        "bool": pa.bool_(),  # the events table's flags (the metrics table's columns are checked against _ARROW_TYPES)
    }[spec]


def arrow_schema_of(columns: tuple[LakeColumn, ...]) -> pa.Schema:
    """The Parquet schema of a lake table's data columns, every one nullable."""
    import pyarrow as pa

    return pa.schema([pa.field(c.name, arrow_type(c.arrow_type), nullable=True) for c in columns])


def arrow_schema() -> pa.Schema:
    """The Parquet schema of every lake file (data columns only; partitions live in the object key)."""
    return arrow_schema_of(DATA_COLUMNS)
