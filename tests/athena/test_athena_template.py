"""The analytics template (`infra/analytics.yaml`, written by the infra engineer) must match `schemas/lake.py`
and the named queries. Skipped, with the reason, until the template exists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from consumers.athena.cfn import glue_table_resource, named_query_resources
from consumers.athena.named import render_named_queries
from schemas.lake import PARTITION_COLUMN_NAMES, glue_columns, glue_partition_keys, projection_parameters

TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "analytics.yaml"


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation short forms (`!Ref X` → {"Ref": X}, `!Sub s` → {"Fn::Sub": s}, ...)."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def _resources(of_type: str) -> dict[str, dict[str, Any]]:
    if not TEMPLATE.exists():
        pytest.skip(f"{TEMPLATE.relative_to(TEMPLATE.parents[1])} does not exist yet (infra engineer's part)")
    doc = yaml.load(TEMPLATE.read_text(), Loader=_CfnLoader)
    return {k: v for k, v in doc.get("Resources", {}).items() if v.get("Type") == of_type}


def _cols(cols: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(c["Name"], c["Type"]) for c in cols]


def test_glue_table_columns_partitions_and_projection_match_the_schema() -> None:
    tables = [
        t for t in _resources("AWS::Glue::Table").values() if t["Properties"]["TableInput"].get("Name") == "metrics_raw"
    ]
    assert len(tables) == 1, "the template needs one AWS::Glue::Table named metrics_raw"
    table = tables[0]["Properties"]["TableInput"]
    assert _cols(table["StorageDescriptor"]["Columns"]) == _cols(glue_columns())
    assert _cols(table["PartitionKeys"]) == _cols(glue_partition_keys())
    params = table["Parameters"]
    for key, value in projection_parameters("s3://x/metrics/").items():
        if key != "storage.location.template":
            assert str(params.get(key)) == value, key
    location = params["storage.location.template"]
    text = location["Fn::Join"][1][-1] if isinstance(location, dict) else location
    tail = "/".join(f"{n}=${{{n}}}" for n in PARTITION_COLUMN_NAMES) + "/"
    assert text.endswith("metrics/" + tail), text


def test_named_queries_hold_the_rendered_text() -> None:
    found = {q["Properties"]["Name"]: q["Properties"] for q in _resources("AWS::Athena::NamedQuery").values()}
    queries = render_named_queries()
    assert set(found) == set(queries)
    for name, props in found.items():
        assert props["QueryString"].strip() == queries[name].sql.strip(), name


def test_generated_fragments_are_consistent() -> None:
    """What `python -m consumers.athena.cfn` prints for the infra engineer (checked even without a template)."""
    table = glue_table_resource()["Properties"]["TableInput"]
    assert _cols(table["StorageDescriptor"]["Columns"]) == _cols(glue_columns())
    template = table["Parameters"]["storage.location.template"]
    assert template == {
        "Fn::Join": [
            "",
            ["s3://", {"Ref": "LakeBucket"}, "/metrics/year=${year}/month=${month}/day=${day}/hour=${hour}/"],
        ]
    }
    resources = named_query_resources()
    assert {r["Properties"]["Name"] for r in resources.values()} == set(render_named_queries())
    assert "QueryTopUsersByTokens" in resources
