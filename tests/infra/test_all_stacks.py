"""`ccstream deploy` of all five stacks on the embedded emulator: each resource checked through its service API,
then a rerun that changes nothing."""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from consumers.aws import AwsTarget
from consumers.cli.app import app
from consumers.config import Names
from consumers.deploy import ORDER, DeployResult, StackAction, StackResult
from consumers.deploy.templates import load_template
from consumers.emulator import EmbeddedEmulator
from tests.infra.conftest import unique_names

pytestmark = [pytest.mark.emulator, pytest.mark.filterwarnings("ignore:.*moto's CloudFormation")]

ACCOUNT = "123456789012"
REGION = "us-east-1"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/ccstream-consumer:1.0"


def ccstream_deploy(target: AwsTarget, names: Names, *extra: str) -> DeployResult:
    """Run `ccstream deploy --json` (all stacks) and read its report back."""
    arguments = ["deploy", "--prefix", names.prefix, "--log-group", names.log_group, "--json", *extra]
    arguments += ["--endpoint-url", str(target.endpoint_url)]
    result = CliRunner().invoke(app, arguments, env={"CCSTREAM_TABLE": names.table})
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    stacks = tuple(
        StackResult(s["key"], s["stack_name"], StackAction(s["action"]), s["outputs"], tuple(s["filled"]))
        for s in report["stacks"]
    )
    return DeployResult(report["account"], report["region"], report["endpoint_url"], stacks)


@pytest.fixture(scope="module")
def stacks(emulator: EmbeddedEmulator) -> Iterator[tuple[AwsTarget, Names, DeployResult]]:
    target = AwsTarget(endpoint_url=emulator.url, region=REGION)
    names = unique_names("all")
    yield (
        target,
        names,
        ccstream_deploy(
            target, names, "--consumer-image", IMAGE, "--alarm-email", "oncall@example.com", "--shards", "4"
        ),
    )


def _policy(iam: Any, role_arn: str) -> list[dict[str, Any]]:
    """Every statement of the role's inline policies (moto returns CloudFormation-made ones as a repr)."""
    role = role_arn.rsplit("/", 1)[1]
    statements: list[dict[str, Any]] = []
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        document = ast.literal_eval(document) if isinstance(document, str) else document
        statements += [s for s in document["Statement"] if s]
    return statements


def test_stacks_are_created_in_dependency_order(stacks: Any) -> None:
    _, names, result = stacks
    assert [s.key for s in result.stacks] == list(ORDER)
    assert ORDER == ("networking", "monitoring", "streaming", "analytics", "dashboard")
    assert all(s.action is StackAction.CREATED for s in result.stacks)
    assert [s.stack_name for s in result.stacks] == [f"{names.prefix}-{k}" for k in ORDER]


def test_network_has_private_subnets_and_the_consumer_endpoints(stacks: Any) -> None:
    target, _, result = stacks
    ec2 = target.client("ec2")
    outputs = result.stack("networking").outputs
    vpc_id = outputs["VpcId"]
    private = outputs["PrivateSubnetIds"].split(",")
    subnets = ec2.describe_subnets(SubnetIds=private)["Subnets"]
    assert {s["VpcId"] for s in subnets} == {vpc_id}
    assert not any(s["MapPublicIpOnLaunch"] for s in subnets)
    assert len({s["AvailabilityZone"] for s in subnets}) == 2
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["VpcEndpoints"]
    services = {e["ServiceName"].rsplit(".", 1)[-1] for e in endpoints}
    assert {"kinesis-streams", "dynamodb", "monitoring", "logs", "s3"} <= services


def test_collector_runs_behind_an_https_load_balancer_with_health_checks(stacks: Any) -> None:
    target, names, result = stacks
    elb, ecs = target.client("elbv2"), target.client("ecs")
    (balancer,) = elb.describe_load_balancers(Names=[f"{names.prefix}-otel"])["LoadBalancers"]
    (listener,) = elb.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
    assert (listener["Protocol"], listener["Port"]) == ("HTTPS", 443)
    assert listener["SslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    (group,) = elb.describe_target_groups(Names=[f"{names.prefix}-otlp"])["TargetGroups"]
    assert (group["Port"], group["HealthCheckPort"], group["HealthCheckPath"]) == (4318, "13133", "/")
    cluster = result.stack("monitoring").outputs["ClusterName"]
    (service,) = ecs.describe_services(cluster=cluster, services=[f"{names.prefix}-collector"])["services"]
    assert service["desiredCount"] == 2
    # moto's CloudFormation drops the service's LaunchType; the (gap-filled) task definition has the Fargate settings.
    task = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    assert task["requiresCompatibilities"] == ["FARGATE"]
    assert task["networkMode"] == "awsvpc"
    (container,) = task["containerDefinitions"]
    assert container["readonlyRootFilesystem"] is True
    assert [s["name"] for s in container["secrets"]] == ["AOT_CONFIG_CONTENT"]


def test_collector_config_exports_emf_on_aggregate_dimensions_only(stacks: Any) -> None:
    target, names, _ = stacks
    value = target.client("ssm").get_parameter(Name=f"/{names.prefix}/collector/config")["Parameter"]["Value"]
    assert len(value.encode()) <= 8192  # an Advanced-tier parameter (4,096 Standard was outgrown: TLS, events trim)
    config = yaml.safe_load(value)
    emf = config["exporters"]["awsemf"]
    assert (emf["namespace"], emf["log_group_name"]) == ("ClaudeCode", names.log_group)
    dimensions = {d for declaration in emf["metric_declarations"] for group in declaration["dimensions"] for d in group}
    assert {"department", "team.id", "model", "type", "organization", "cost_center"} <= dimensions
    assert not any(d.startswith(("user", "session")) for d in dimensions)
    # Identity comes from the verified token (ccstream_identity), never from client headers, before batch.
    assert "attributes/headers" not in config["processors"]
    assert config["processors"]["ccstream_identity"]["source"] == "${env:CCSTREAM_IDENTITY_SOURCE:-token}"
    pipeline = config["service"]["pipelines"]["metrics"]
    assert pipeline["exporters"] == ["awsemf"]
    for name in ("metrics", "logs"):
        processors = config["service"]["pipelines"][name]["processors"]
        assert processors.index("ccstream_identity") < processors.index("batch")


def test_consumer_service_scales_on_lag_up_to_the_shard_count(stacks: Any) -> None:
    target, names, result = stacks
    cluster = result.stack("monitoring").outputs["ClusterName"]
    (service,) = target.client("ecs").describe_services(cluster=cluster, services=[f"{names.prefix}-consumer"])[
        "services"
    ]
    assert service["desiredCount"] == 2  # ceil(4 shards / 2 shards per task)
    scaling = target.client("application-autoscaling")
    (scalable,) = scaling.describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[f"service/{cluster}/{names.prefix}-consumer"]
    )["ScalableTargets"]
    assert (scalable["MinCapacity"], scalable["MaxCapacity"]) == (2, 4)
    resource = f"service/{cluster}/{names.prefix}-consumer"
    policies = {
        p["PolicyName"]: p
        for page in scaling.get_paginator("describe_scaling_policies").paginate(
            ServiceNamespace="ecs", ResourceId=resource
        )
        for p in page["ScalingPolicies"]
    }
    assert policies[f"{names.prefix}-consumer-cpu"]["PolicyType"] == "TargetTrackingScaling"
    for name, step in ((f"{names.prefix}-consumer-lag-out", 1), (f"{names.prefix}-consumer-lag-in", -1)):
        config = policies[name]["StepScalingPolicyConfiguration"]
        assert policies[name]["PolicyType"] == "StepScaling"
        assert [a["ScalingAdjustment"] for a in config["StepAdjustments"]] == [step]
    # the lag alarms that drive them (the emulator keeps the policy's name where AWS resolves its ARN)
    alarms = target.client("cloudwatch").describe_alarms(AlarmNamePrefix=f"{names.prefix}-consumer-lag-")
    actions = {a["AlarmName"]: a["AlarmActions"] for a in alarms["MetricAlarms"]}
    assert actions == {
        f"{names.prefix}-consumer-lag-scale-out": [f"{names.prefix}-consumer-lag-out"],
        f"{names.prefix}-consumer-lag-scale-in": [f"{names.prefix}-consumer-lag-in"],
    }


def test_consumer_role_is_limited_to_its_stream_table_lease_tables_and_buckets(stacks: Any) -> None:
    target, names, result = stacks
    ecs, iam = target.client("ecs"), target.client("iam")
    cluster = result.stack("monitoring").outputs["ClusterName"]
    (service,) = ecs.describe_services(cluster=cluster, services=[f"{names.prefix}-consumer"])["services"]
    task = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    (container,) = task["containerDefinitions"]
    assert container["image"] == IMAGE
    statements = {s["Sid"]: s for s in _policy(iam, task["taskRoleArn"])}
    assert statements["ReadMetricsStream"]["Resource"] == result.stack("streaming").outputs["StreamArn"]
    events_stream = result.stack("streaming").outputs["EventsStreamName"]
    assert statements["ReadEventsStream"]["Resource"] == f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{events_stream}"
    # the aggregator and the events consumer; the metrics lake has one writer on AWS, Firehose (analytics stack)
    assert container["command"] == ["consume", "--app", "aggregates"]
    lease_tables = statements["KclLeaseTables"]["Resource"]
    assert lease_tables == [
        f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{names.consumer_app}",
        f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{names.events_app}",
    ]
    dead_letters = f"arn:aws:s3:::{names.deadletter_bucket(ACCOUNT, REGION)}/*"
    assert dead_letters in statements["WriteDeadLettersAndLake"]["Resource"]
    namespaces = statements["PublishMetrics"]["Condition"]["StringEquals"]["cloudwatch:namespace"]
    assert "ClaudeCode" in namespaces


def test_alarms_cover_the_pipeline_and_notify_the_topic(stacks: Any) -> None:
    target, names, result = stacks
    topic = result.stack("monitoring").outputs["AlarmTopicArn"]
    alarms = target.client("cloudwatch").describe_alarms(AlarmNamePrefix=f"{names.prefix}-")["MetricAlarms"]
    by_name = {a["AlarmName"]: a for a in alarms}
    # Every alarm the templates declare (read from their text, not from the deployer), and the original six by name.
    declared = {
        resource["Properties"]["AlarmName"]["Fn::Sub"].removeprefix("${Prefix}-")
        for file_name in ("monitoring.yaml", "streaming.yaml", "analytics.yaml", "dashboard.yaml", "networking.yaml")
        for resource in load_template(file_name).resources.values()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
        # This deployment gives no Lambda code, so the lake transform and its two alarms are not created.
        and resource.get("Condition") != "UsesTransform"
    }
    assert {
        "collector-unhealthy",
        "kinesis-iterator-age",
        "consumer-errors",
        "dead-letters",
        "table-throttles",
        "lake-delivery-failures",
    } <= declared
    assert {name.removeprefix(f"{names.prefix}-") for name in by_name} == declared
    scaling = {f"{names.prefix}-consumer-lag-scale-out", f"{names.prefix}-consumer-lag-scale-in"}  # actions: policies
    assert scaling <= set(by_name)
    assert all(a["AlarmActions"] == [topic] for a in alarms if a["AlarmName"] not in scaling)
    assert by_name[f"{names.prefix}-kinesis-iterator-age"]["MetricName"] == "GetRecords.IteratorAgeMilliseconds"
    sns = target.client("sns")
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"].get("KmsMasterKeyId")
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [("email", "oncall@example.com")]


def test_lake_retention_catalog_workgroup_and_delivery_stream(stacks: Any) -> None:
    target, names, result = stacks
    outputs = result.stack("analytics").outputs
    s3 = target.client("s3")
    assert outputs["LakeBucket"] == names.lake_bucket(ACCOUNT, REGION)
    lake_rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=outputs["LakeBucket"])["Rules"]}
    assert lake_rules["lake-retention"]["Transitions"] == [{"Days": 90, "StorageClass": "GLACIER"}]
    assert lake_rules["lake-errors-retention"]["Filter"] == {"Prefix": "errors/"}  # dead letters: 30 days
    assert lake_rules["lake-errors-retention"]["Expiration"]["Days"] == 30
    (results_rule,) = s3.get_bucket_lifecycle_configuration(Bucket=outputs["ResultsBucket"])["Rules"]
    assert results_rule["Expiration"]["Days"] == 7
    glue = target.client("glue")
    assert outputs["GlueDatabase"] == names.prefix.replace("-", "_") + "_analytics"
    table = glue.get_table(DatabaseName=outputs["GlueDatabase"], Name="metrics_raw")["Table"]
    assert table["Parameters"]["projection.enabled"] == "true"
    assert [k["Name"] for k in table["PartitionKeys"]] == ["year", "month", "day", "hour"]
    athena = target.client("athena")
    workgroup = athena.get_work_group(WorkGroup=outputs["AthenaWorkGroup"])["WorkGroup"]
    location = workgroup["Configuration"]["ResultConfiguration"]["OutputLocation"]
    assert location == f"s3://{outputs['ResultsBucket']}/results/"
    query_ids = athena.list_named_queries(WorkGroup=outputs["AthenaWorkGroup"])["NamedQueryIds"]
    queries = [athena.get_named_query(NamedQueryId=i)["NamedQuery"] for i in query_ids]
    assert "top_users_by_tokens" in {q["Name"] for q in queries}
    assert {q["Database"] for q in queries} == {outputs["GlueDatabase"]}
    stream = target.client("firehose").describe_delivery_stream(DeliveryStreamName=outputs["DeliveryStreamName"])
    description = stream["DeliveryStreamDescription"]
    assert description["DeliveryStreamType"] == "KinesisStreamAsSource"
    source = description["Source"]["KinesisStreamSourceDescription"]["KinesisStreamARN"]
    assert source == result.stack("streaming").outputs["StreamArn"]


def test_dashboard_and_its_widget_function(stacks: Any) -> None:
    target, names, result = stacks
    outputs = result.stack("dashboard").outputs
    dashboard = target.client("cloudwatch").get_dashboard(DashboardName=outputs["DashboardName"])
    body = json.loads(dashboard["DashboardBody"])
    custom = [w for w in body["widgets"] if w["type"] == "custom"]
    assert {w["properties"]["endpoint"] for w in custom} == {outputs["WidgetFunctionArn"]}
    assert len(custom) == 20  # 20 custom widgets (5 of them events) + 5 native metric widgets = the 25 of the catalogue
    function = target.client("lambda").get_function(FunctionName=f"{names.prefix}-dashboard-widget")
    assert function["Configuration"]["Runtime"] == "python3.12"
    links = result.links()
    assert links["dashboard"].endswith(f"#dashboards:name={names.prefix}-usage")
    assert "athena" in links["athena_console"]
    assert links["stream"] == names.stream


def test_what_moto_cloudformation_skipped_was_created_through_the_apis(stacks: Any) -> None:
    _, _, result = stacks
    filled = {key: " ".join(result.stack(key).filled) for key in ORDER}
    for key, skipped in {
        "streaming": ["subscription filter", "encryption of stream", "TTL", "point-in-time", "lifecycle", "alarm"],
        "analytics": ["Glue database", "Glue table", "Athena workgroup", "named query", "Firehose", "alarm"],
        "monitoring": ["bucket policy", "alarm", "subscribed oncall@example.com"],
    }.items():
        for what in skipped:
            assert what in filled[key], f"{key}: expected a fill for {what}"


def test_second_deploy_of_every_stack_changes_nothing(stacks: Any) -> None:
    target, names, first = stacks
    again = ccstream_deploy(target, names)  # image, e-mail and shards are kept as deployed
    assert [(s.key, s.action, s.filled) for s in again.stacks] == [(k, StackAction.UNCHANGED, ()) for k in ORDER]
    assert not again.changed
    assert {s.key: s.outputs for s in again.stacks} == {s.key: s.outputs for s in first.stacks}


def test_rollup_runs_on_a_schedule_as_a_fargate_task_of_the_consumer_image(stacks: Any) -> None:
    target, names, result = stacks
    events = target.client("events")
    rule = events.describe_rule(Name=f"{names.prefix}-rollup")
    assert rule["ScheduleExpression"] == "rate(5 minutes)"
    (schedule,) = events.list_targets_by_rule(Rule=f"{names.prefix}-rollup")["Targets"]
    assert schedule["Arn"].endswith(f":cluster/{result.stack('monitoring').outputs['ClusterName']}")
    assert json.loads(schedule["Input"])["containerOverrides"] == [{"name": "consumer", "command": ["rollup"]}]
    assert schedule["EcsParameters"]["TaskDefinitionArn"].split("/")[-1].startswith(f"{names.prefix}-consumer:")
