"""The lake schema in `schemas/lake.py`: one column per catalogue attribute, seed columns kept, Glue ⇔ Arrow."""

from __future__ import annotations

from schemas.catalogue import KNOWN_ATTRIBUTES
from schemas.lake import (
    ATTRIBUTE_COLUMNS,
    DATA_COLUMN_NAMES,
    Partition,
    arrow_schema,
    glue_columns,
    glue_partition_keys,
    glue_table_input,
    projection_parameters,
)

#: The seed's Glue table (shared/reference/telemetry.md), in its order.
SEED = [
    ("timestamp", "bigint"),
    ("token_usage", "double"),
    ("user_id", "string"),
    ("session_id", "string"),
    ("model", "string"),
    ("type", "string"),
    ("terminal_type", "string"),
    ("organization_id", "string"),
    ("otel_lib", "string"),
    ("user_email", "string"),
    ("user_account_uuid", "string"),
]
GLUE_TO_ARROW = {
    "bigint": "int64",
    "double": "double",
    "string": "string",
    "int": "int32",
    "map<string,string>": "map<string, string>",
}


def test_seed_columns_come_first_with_their_types() -> None:
    cols = [(c["Name"], c["Type"]) for c in glue_columns()]
    assert cols[: len(SEED)] == SEED


def test_every_catalogue_attribute_has_a_snake_case_column() -> None:
    assert set(ATTRIBUTE_COLUMNS) == set(KNOWN_ATTRIBUTES)
    assert ATTRIBUTE_COLUMNS["user.email"] == "user_email"
    assert ATTRIBUTE_COLUMNS["team.id"] == "team_id"
    assert ATTRIBUTE_COLUMNS["mcp_server.name"] == "mcp_server_name"
    assert ATTRIBUTE_COLUMNS["OTelLib"] == "otel_lib"
    assert len(set(DATA_COLUMN_NAMES)) == len(DATA_COLUMN_NAMES)
    for extra in ("metric", "value", "unit", "log_event_id", "event_key", "point_index", "user_key", "attributes"):
        assert extra in DATA_COLUMN_NAMES


def test_glue_columns_and_parquet_schema_agree() -> None:
    schema = arrow_schema()
    glue = glue_columns()
    assert schema.names == [c["Name"] for c in glue]
    for col in glue:
        assert str(schema.field(col["Name"]).type) == GLUE_TO_ARROW[col["Type"]], col


def test_partitions_are_int_event_hours_with_projection() -> None:
    assert [(k["Name"], k["Type"]) for k in glue_partition_keys()] == [
        ("year", "int"),
        ("month", "int"),
        ("day", "int"),
        ("hour", "int"),
    ]
    # 1755785100000 ms = 2025-08-21T14:05:00Z
    part = Partition.of(1_755_785_100_000)
    assert part == Partition(2025, 8, 21, 14)
    assert part.path == "year=2025/month=08/day=21/hour=14"
    params = projection_parameters("s3://lake/metrics/")
    template = params["storage.location.template"]
    filled = template.replace("${year}", "2025").replace("${month}", "08").replace("${day}", "21")
    assert filled.replace("${hour}", "14") == "s3://lake/metrics/" + part.path + "/"
    assert params["projection.enabled"] == "true"
    assert params["projection.hour.range"] == "0,23" and params["projection.hour.digits"] == "2"


def test_table_input_is_parquet_with_the_same_columns() -> None:
    table = glue_table_input("s3://lake/metrics/")
    assert table["Name"] == "metrics_raw"
    sd = table["StorageDescriptor"]
    assert sd["Columns"] == glue_columns()
    assert "Parquet" in sd["SerdeInfo"]["SerializationLibrary"]
    assert table["PartitionKeys"] == glue_partition_keys()
