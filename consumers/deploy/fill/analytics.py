"""The analytics resources moto's CloudFormation skips: Glue database and table, Athena workgroup and named
queries, Firehose delivery stream, and CloudWatch Logs log streams (Firehose's error log)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from consumers.deploy.fill.base import FillContext, error_code, is_true


def fill_glue_database(ctx: FillContext, logical_id: str, props: dict[str, Any]) -> list[str]:
    glue = ctx.client("glue")
    database = props["DatabaseInput"]
    try:
        glue.get_database(Name=database["Name"])
        return []
    except ClientError as exc:
        if error_code(exc) != "EntityNotFoundException":
            raise
    glue.create_database(DatabaseInput=database)
    return [f"{logical_id}: created Glue database {database['Name']}"]


def fill_glue_table(ctx: FillContext, logical_id: str, props: dict[str, Any]) -> list[str]:
    glue = ctx.client("glue")
    table = props["TableInput"]
    try:
        glue.get_table(DatabaseName=props["DatabaseName"], Name=table["Name"])
        return []
    except ClientError as exc:
        if error_code(exc) != "EntityNotFoundException":
            raise
    glue.create_table(DatabaseName=props["DatabaseName"], TableInput=table)
    return [f"{logical_id}: created Glue table {props['DatabaseName']}.{table['Name']}"]


def fill_workgroup(ctx: FillContext, logical_id: str, props: dict[str, Any]) -> list[str]:
    athena = ctx.client("athena")
    name = props["Name"]
    existing = {w["Name"] for w in athena.list_work_groups()["WorkGroups"]}
    if name in existing:
        return []
    configuration = dict(props.get("WorkGroupConfiguration", {}))
    for flag in ("EnforceWorkGroupConfiguration", "PublishCloudWatchMetricsEnabled", "RequesterPaysEnabled"):
        if flag in configuration:
            configuration[flag] = is_true(configuration[flag])
    if "BytesScannedCutoffPerQuery" in configuration:
        configuration["BytesScannedCutoffPerQuery"] = int(configuration["BytesScannedCutoffPerQuery"])
    athena.create_work_group(Name=name, Configuration=configuration, Description=props.get("Description", ""))
    return [f"{logical_id}: created Athena workgroup {name}"]


def fill_named_query(ctx: FillContext, logical_id: str, props: dict[str, Any]) -> list[str]:
    athena = ctx.client("athena")
    workgroup = props.get("WorkGroup", "primary")
    ids = athena.list_named_queries(WorkGroup=workgroup).get("NamedQueryIds", [])
    # GetNamedQuery one by one: moto has no BatchGetNamedQuery.
    if any(athena.get_named_query(NamedQueryId=i)["NamedQuery"]["Name"] == props["Name"] for i in ids):
        return []
    athena.create_named_query(
        Name=props["Name"],
        Description=props.get("Description", ""),
        Database=props["Database"],
        QueryString=props["QueryString"],
        WorkGroup=workgroup,
    )
    return [f"{logical_id}: created Athena named query {props['Name']}"]


def _s3_destination(config: dict[str, Any]) -> dict[str, Any]:
    destination = dict(config)
    hints = destination.get("BufferingHints")
    if hints:
        destination["BufferingHints"] = {k: int(v) for k, v in hints.items()}
    conversion = destination.get("DataFormatConversionConfiguration")
    if conversion and "Enabled" in conversion:
        conversion["Enabled"] = is_true(conversion["Enabled"])
    processing = destination.get("ProcessingConfiguration")
    if processing and "Enabled" in processing:
        processing["Enabled"] = is_true(processing["Enabled"])
    partitioning = destination.get("DynamicPartitioningConfiguration")
    if partitioning:
        partitioning["Enabled"] = is_true(partitioning.get("Enabled"))
        retry = partitioning.get("RetryOptions")
        if retry:
            retry["DurationInSeconds"] = int(retry["DurationInSeconds"])
    logging = destination.get("CloudWatchLoggingOptions")
    if logging and "Enabled" in logging:
        logging["Enabled"] = is_true(logging["Enabled"])
    return destination


def fill_delivery_stream(ctx: FillContext, logical_id: str, props: dict[str, Any]) -> list[str]:
    firehose = ctx.client("firehose")
    name = props["DeliveryStreamName"]
    try:
        firehose.describe_delivery_stream(DeliveryStreamName=name)
        return []
    except ClientError as exc:
        if error_code(exc) != "ResourceNotFoundException":
            raise
    request: dict[str, Any] = {
        "DeliveryStreamName": name,
        "DeliveryStreamType": props.get("DeliveryStreamType", "DirectPut"),
        "ExtendedS3DestinationConfiguration": _s3_destination(props["ExtendedS3DestinationConfiguration"]),
    }
    if "KinesisStreamSourceConfiguration" in props:
        request["KinesisStreamSourceConfiguration"] = props["KinesisStreamSourceConfiguration"]
    firehose.create_delivery_stream(**request)
    return [f"{logical_id}: created Firehose delivery stream {name}"]


def fill_log_stream(ctx: FillContext, logical_id: str, props: dict[str, Any]) -> list[str]:
    logs = ctx.client("logs")
    group, stream = props["LogGroupName"], props["LogStreamName"]
    found = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=stream)["logStreams"]
    if any(s["logStreamName"] == stream for s in found):
        return []
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    return [f"{logical_id}: created log stream {group}/{stream}"]


FILLERS = {
    "AWS::Glue::Database": fill_glue_database,
    "AWS::Glue::Table": fill_glue_table,
    "AWS::Athena::WorkGroup": fill_workgroup,
    "AWS::Athena::NamedQuery": fill_named_query,
    "AWS::KinesisFirehose::DeliveryStream": fill_delivery_stream,
    "AWS::Logs::LogStream": fill_log_stream,
}
