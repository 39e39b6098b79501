"""The events table of the lake: one row per Claude Code event, metadata only (`schemas/events.py` names).

Same layout rules as the metrics table (`schemas/lake.py`): Parquet, event-time partitions `year/month/day/hour`
typed `int`, Hive-style zero-padded object keys under `events/`, found by partition projection. Columns: event
time (`timestamp`, ms), `event_name`, the delivery identity (`log_event_id`, `event_key`), `event_sequence`,
identity (`user_key` = email else user.id, `user_id`, `user_email`, `session_id`, `team_id`, `department`,
`organization_id`, `prompt_id`), one column per kept label and number, `success`. Never any content; the length
columns are filled only with `CCSTREAM_EVENTS_KEEP_LENGTHS=1`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from schemas import events as ev
from schemas.lake import PARTITION_COLUMNS, LakeColumn, arrow_schema_of, attribute_column, parquet_table_input

if TYPE_CHECKING:
    import pyarrow as pa

#: Glue table of the Parquet files (every delivered event); the view `events` keeps one row per event.
EVENTS_RAW_TABLE = "events_raw"
EVENTS_VIEW = "events"
EVENTS_PREFIX = "events/"


def _columns() -> tuple[LakeColumn, ...]:
    cols = [
        LakeColumn("timestamp", "bigint", "int64", "event time, epoch ms (the OTLP log record's time)"),
        LakeColumn("event_name", "string", "string", "event name without the claude_code. prefix"),
        LakeColumn("log_event_id", "string", "string", "CloudWatch Logs event id"),
        LakeColumn("event_key", "string", "string", "hash of log group, stream, id, time and line: one per event"),
        LakeColumn("event_sequence", "bigint", "int64", "event.sequence (per CLI process; restarts)"),
        LakeColumn("user_key", "string", "string", "user.email, else user.id (count people with it)"),
    ]
    cols += [attribute_column(a) for a in (*ev.IDENTITY, *ev.LABELS)]
    cols += [attribute_column(a, glue_type="bigint", arrow_type="int64") for a in (*ev.NUMBERS, *ev.LENGTHS)]
    cols += [attribute_column(a, glue_type="boolean", arrow_type="bool") for a in ev.FLAGS]
    return tuple(cols)


EVENT_COLUMNS: tuple[LakeColumn, ...] = _columns()
EVENT_COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in EVENT_COLUMNS)


def _glue_column(c: LakeColumn) -> dict[str, str]:
    """A column named after its attribute carries no comment (infra/analytics.yaml stays under CloudFormation's
    51,200-byte inline limit); the derived ones say what they are."""
    if c.source:
        return {"Name": c.name, "Type": c.glue_type}
    return {"Name": c.name, "Type": c.glue_type, "Comment": c.comment}


def glue_table_input(location: str) -> dict[str, Any]:
    """The Glue `TableInput` of `events_raw` at `location` (`s3://<lake bucket>/events/`)."""
    return parquet_table_input(EVENTS_RAW_TABLE, location, [_glue_column(c) for c in EVENT_COLUMNS])


def arrow_schema() -> pa.Schema:
    return arrow_schema_of(EVENT_COLUMNS)


__all__ = ["EVENTS_PREFIX", "EVENTS_RAW_TABLE", "EVENTS_VIEW", "EVENT_COLUMNS", "PARTITION_COLUMNS", "arrow_schema"]
