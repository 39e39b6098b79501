"""The LocalStack flow, run by `test_localstack_e2e.py` inside a private network namespace (see there why).

One LocalStack for the whole (inner) session; one deploy and one replay-and-consume run shared by the checks.
The flow: deploy the streaming and analytics stacks through LocalStack's own CloudFormation (the gap-filler adds only
what it lacks), replay the committed fixtures (captured Kinesis records twice, EMF lines through PutLogEvents →
the subscription filter), send OTLP/HTTP through the real collector into the same log group, consume with the real
KCL MultiLangDaemon (aggregator and lake writer), then compare DynamoDB and the Parquet lake with the same
independent expectations the moto path uses.
Not collected by the outer run: pytest only picks up `test_*.py` unless a file is named on its command line.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from consumers.athena.totals import lake_totals
from consumers.aws import AwsTarget
from consumers.collector.process import free_port, start_collector
from consumers.deploy.deployer import deploy
from consumers.deploy.result import DeployResult, StackAction
from consumers.deploy.templates import load_template
from consumers.emulator.localstack import LocalStack, network_is_private
from consumers.kcl.runner import run_consumers, standard_apps
from consumers.reconcile import compare, dynamodb_totals
from consumers.replay.replay import ReplaySummary, replay_paths
from consumers.status import PipelineStatus, pipeline_status
from tests.athena import expected
from tests.collector.otlp_requests import metrics_request
from tests.collector.test_collector import CLI_POINTS
from tests.core.telemetry import Point
from tests.e2e.harness import Stack, deployed_stack
from tests.e2e.independent import FIXTURES, midnight_emf_points, midnight_points, points_of_line
from tests.e2e.test_aggregator_e2e import assert_aggregates

pytestmark = pytest.mark.skipif(
    not network_is_private(), reason="run by tests/localstack/test_localstack_e2e.py inside `unshare -n`"
)
#: Where the outer test wants the timings and memory figures (JSON), when it asks for them.
REPORT_ENV = "CCSTREAM_LOCALSTACK_REPORT"
#: Control messages in the captured fixture (moto's subscription sends none; they would carry no data).
CONTROL_RECORDS = 0


@dataclass
class Flow:
    stack: Stack
    first_replay: ReplaySummary
    second_deploy: DeployResult
    analytics_deploy: DeployResult
    points: list[Point]
    status: PipelineStatus
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def aws(self) -> AwsTarget:
        return self.stack.target


def through_the_collector(aws: AwsTarget, log_group: str, tmp: Path) -> list[Point]:
    """OTLP/HTTP into the real collector, which writes awsemf lines into LocalStack's log group (so they take the
    subscription path); returns the points of the lines it wrote, read independently (`points_of_line`)."""
    task_id = "localstack"
    logs = aws.client("logs")
    events_group = f"{log_group}-events"
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):  # the streaming stack creates it now
        logs.create_log_group(logGroupName=events_group)
    time_ns = int(time.time()) // 60 * 60 * 1_000_000_000
    with start_collector(
        endpoint_url=aws.endpoint_url or "",
        region=aws.region,
        http_port=free_port(),
        task_id=task_id,
        metrics_log_group=log_group,
        events_log_group=events_group,
        log_file=tmp / "collector.log",
    ) as collector:
        request = urllib.request.Request(
            f"{collector.otlp_http_url}/v1/metrics",
            metrics_request(CLI_POINTS, time_ns),
            {"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
        stream = f"otel-stream-{task_id}"
        deadline = time.monotonic() + 60
        messages: list[str] = []
        while time.monotonic() < deadline and len(messages) < len(CLI_POINTS):
            time.sleep(0.5)
            with contextlib.suppress(logs.exceptions.ResourceNotFoundException):
                found = logs.get_log_events(logGroupName=log_group, logStreamName=stream, startFromHead=True)
                messages = [e["message"] for e in found["events"]]
        assert len(messages) == len(CLI_POINTS), collector.log_text()[-3000:]
    points = [p for m in messages for p in points_of_line(m)]
    assert sorted(p.value for p in points) == sorted(p.value for p in CLI_POINTS)
    return points


@pytest.fixture(scope="session")
def localstack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with LocalStack(state_dir=tmp_path_factory.mktemp("localstack")) as ls:
        yield ls


@pytest.fixture(scope="session")
def flow(localstack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flow]:
    aws = AwsTarget(endpoint_url=localstack.url, region="us-east-1")
    seconds = {"start": localstack.started_in_s or 0.0}
    kin_points = midnight_points()
    began = time.monotonic()
    with deployed_stack(aws, tmp_path_factory.mktemp("stack"), CCSTREAM_LAKE_FLUSH_INTERVAL_MS="1000") as stack:
        seconds["deploy"] = time.monotonic() - began
        # Idempotence right after the first deploy. (Seen once: the same UpdateStack after a consume run made
        # LocalStack answer "maximum recursion depth exceeded"; not reproduced, see README "LocalStack".)
        again = deploy(aws, stack.names, ["streaming"])
        analytics = deploy(aws, stack.names, ["analytics"])  # the lake bucket, Glue and Firehose as LocalStack has them
        began = time.monotonic()
        kin = FIXTURES / "midnight.kinesis.jsonl"
        first = replay_paths(aws, stack.names, [kin])
        replay_paths(aws, stack.names, [kin])  # a CloudWatch redelivery: same log events, new Kinesis records
        emf = replay_paths(aws, stack.names, [FIXTURES / "midnight.emf.ndjson"], shift_to_now=True)
        seconds["replay"] = time.monotonic() - began
        began = time.monotonic()
        collected = through_the_collector(aws, stack.names.log_group, tmp_path_factory.mktemp("collector"))
        seconds["collector"] = time.monotonic() - began
        began = time.monotonic()
        apps = standard_apps(stack.names, "all", "ccstream-localstack", aws)
        code = run_consumers(aws, apps, log_dir=stack.log_dir, until_idle_s=3, timeout_s=400, poll_interval_s=0.5)
        assert code == 0
        seconds["consume"] = time.monotonic() - began
        points = kin_points + midnight_emf_points(emf.shifted_by_ms) + collected
        status = pipeline_status(aws.client("kinesis"), aws.client("dynamodb"), stack.names)
        result = Flow(stack, first, again, analytics, points, status, seconds)
        yield result
    report = os.environ.get(REPORT_ENV)
    if report:
        figures = {"seconds": result.seconds, "rss_bytes": localstack.rss_bytes(), "emf_events": emf.log_events_sent}
        Path(report).write_text(json.dumps(figures))


def test_aggregates_match_the_independent_expectation(flow: Flow) -> None:
    began = time.monotonic()
    assert_aggregates(flow.stack.reader, flow.points)
    flow.seconds["check_aggregates"] = time.monotonic() - began


def test_every_record_is_counted_once_and_nothing_is_dead(flow: Flow) -> None:
    assert flow.status.dead_letters == 0, flow.status.counters
    # the second replay of the captured records is all duplicates (control messages would carry no data)
    assert flow.status.get("duplicate_records") == flow.first_replay.kinesis_records_sent - CONTROL_RECORDS


def test_lake_matches_the_independent_totals_and_reconciles(flow: Flow, tmp_path: Path) -> None:
    began = time.monotonic()
    lo, hi = min(p.ts for p in flow.points), max(p.ts for p in flow.points) + 1
    lo -= lo % 86_400_000
    lake = lake_totals(flow.aws, flow.stack.names, "1h", lo, hi, cache_dir=tmp_path / "lake")
    assert lake == pytest.approx(expected.lake_totals(flow.points, 3_600_000, lo, hi), rel=1e-9)  # type: ignore[arg-type]
    reconciled = compare(dynamodb_totals(flow.stack.reader, "1h", lo, hi), lake)
    assert reconciled.ok, reconciled.differences[:5]
    flow.seconds["check_lake"] = time.monotonic() - began


def test_one_correctly_named_filter_all_alarms_and_a_second_deploy_changes_nothing(flow: Flow) -> None:
    names = flow.stack.names
    logs = flow.aws.client("logs")
    filters = logs.describe_subscription_filters(logGroupName=names.log_group)["subscriptionFilters"]
    assert [(f["filterName"], f["destinationArn"].rsplit("/", 1)[-1]) for f in filters] == [
        (names.subscription_filter, names.stream)
    ]
    # every alarm of the template was made by LocalStack's CloudFormation (physical id = alarm name) and exists
    resources = flow.aws.client("cloudformation").describe_stack_resources(StackName=f"{names.prefix}-streaming")
    alarm = "AWS::CloudWatch::Alarm"
    made = {r["PhysicalResourceId"] for r in resources["StackResources"] if r["ResourceType"] == alarm}
    template = load_template("streaming.yaml").resources.values()
    assert len(made) == sum(1 for r in template if r["Type"] == alarm and "Condition" not in r)
    analytics = flow.aws.client("cloudformation").describe_stack_resources(StackName=f"{names.prefix}-analytics")
    made |= {r["PhysicalResourceId"] for r in analytics["StackResources"] if r["ResourceType"] == alarm}
    alarms = flow.aws.client("cloudwatch").describe_alarms(AlarmNamePrefix=f"{names.prefix}-")["MetricAlarms"]
    assert {a["AlarmName"] for a in alarms} == made  # the streaming and the analytics stacks' alarms, no other
    assert [(s.action, s.filled) for s in flow.second_deploy.stacks] == [(StackAction.UNCHANGED, ())]


def test_the_analytics_stack_deploys_through_localstacks_cloudformation(flow: Flow) -> None:
    """LocalStack's CloudFormation refused the template while its Glue tables escaped projection placeholders as
    `${!year}` inside Fn::Sub ("Unresolved resource dependencies [!year]"); an Fn::Join keeps them literal."""
    names = flow.stack.names
    assert [s.action for s in flow.analytics_deploy.stacks] == [StackAction.CREATED]
    (described,) = flow.aws.client("cloudformation").describe_stacks(StackName=f"{names.prefix}-analytics")["Stacks"]
    assert described["StackStatus"] == "CREATE_COMPLETE"
    bucket = names.lake_bucket("000000000000", flow.aws.region)
    assert flow.aws.client("s3").head_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 200
