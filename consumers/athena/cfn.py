"""CloudFormation fragments for `infra/analytics.yaml`, generated from `schemas/lake.py` and the named queries.

`python -m consumers.athena.cfn` prints YAML for the Glue table (columns, partition keys, projection) and one
`AWS::Athena::NamedQuery` per query, to paste into the template; `tests/athena/test_athena_template.py` fails when
the template drifts from these. Names of the other resources are parameters: the Glue database resource, the
workgroup resource and the lake bucket resource are referenced by logical id.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import yaml

from consumers.athena.named import render_named_queries
from schemas.events_lake import EVENTS_PREFIX
from schemas.events_lake import glue_table_input as events_table_input
from schemas.lake import DATA_PREFIX, glue_table_input


def logical_id(query_name: str) -> str:
    """`top_users_by_tokens` → `QueryTopUsersByTokens`."""
    return "Query" + "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", query_name) if part)


def _table_resource(table: dict[str, Any], location: str, database_id: str, bucket_id: str) -> dict[str, Any]:
    """An `AWS::Glue::Table` of a lake `TableInput`. The projection's `${year}` placeholders are kept literal by an
    Fn::Join around the bucket's Ref (Fn::Sub's `${!year}` escape is refused by LocalStack's CloudFormation)."""
    params = table["Parameters"]
    head, tail = params["storage.location.template"].split(f"${{{bucket_id}}}", 1)
    params["storage.location.template"] = {"Fn::Join": ["", [head, {"Ref": bucket_id}, tail]]}
    table["StorageDescriptor"]["Location"] = {"Fn::Sub": location}
    return {
        "Type": "AWS::Glue::Table",
        "Properties": {
            "CatalogId": {"Ref": "AWS::AccountId"},
            "DatabaseName": {"Ref": database_id},
            "TableInput": table,
        },
    }


def glue_table_resource(database_id: str = "AnalyticsDatabase", bucket_id: str = "LakeBucket") -> dict[str, Any]:
    """The `AWS::Glue::Table` for `metrics_raw`."""
    location = f"s3://${{{bucket_id}}}/{DATA_PREFIX}"
    return _table_resource(glue_table_input(location), location, database_id, bucket_id)


def events_table_resource(database_id: str = "AnalyticsDatabase", bucket_id: str = "LakeBucket") -> dict[str, Any]:
    """The `AWS::Glue::Table` for `events_raw` (issue 16), same projection as `metrics_raw` under `events/`."""
    location = f"s3://${{{bucket_id}}}/{EVENTS_PREFIX}"
    return _table_resource(events_table_input(location), location, database_id, bucket_id)


def named_query_resources(database_id: str = "AnalyticsDatabase", workgroup_id: str = "WorkGroup") -> dict[str, Any]:
    """One `AWS::Athena::NamedQuery` per named query, by logical id."""
    return {
        logical_id(q.name): {
            "Type": "AWS::Athena::NamedQuery",
            "Properties": {
                "Name": q.name,
                "Description": q.description[:1024],
                "Database": {"Ref": database_id},
                "WorkGroup": {"Ref": workgroup_id},
                "QueryString": q.sql,
            },
        }
        for q in render_named_queries().values()
    }


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _str)


def main() -> None:
    resources = {"MetricsRawTable": glue_table_resource(), "EventsRawTable": events_table_resource()}
    resources |= named_query_resources()
    yaml.dump({"Resources": resources}, sys.stdout, Dumper=_Dumper, sort_keys=False, width=120)


if __name__ == "__main__":
    main()
