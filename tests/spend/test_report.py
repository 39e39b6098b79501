"""The scheduled monthly report: S3 objects with the export's figures, and one SNS notification with the totals."""

from __future__ import annotations

import json
import uuid

import pytest
from typer.testing import CliRunner

from consumers.cli.app import app
from consumers.spend import report as report_lambda
from tests.spend.conftest import MonthTable


def test_monthly_report_writes_the_export_figures_and_notifies(
    month_table: MonthTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws = month_table.target
    s3, sns, sqs = aws.client("s3"), aws.client("sns"), aws.client("sqs")
    bucket = f"reports-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    topic = sns.create_topic(Name=f"spend-{uuid.uuid4().hex[:8]}")["TopicArn"]
    queue = sqs.create_queue(QueueName=f"spend-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    for k, v in {
        "AWS_ENDPOINT_URL": aws.endpoint_url or "",
        "AWS_REGION": aws.region,
        "CCSTREAM_TABLE": month_table.names.table,
        "CCSTREAM_REPORT_BUCKET": bucket,
        "CCSTREAM_REPORT_PREFIX": "finance/claude",
        "CCSTREAM_ALERT_TOPIC_ARN": topic,
    }.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("CCSTREAM_PRICING", raising=False)
    monkeypatch.delenv("CCSTREAM_PRICING_JSON", raising=False)
    summary = report_lambda.handler({"month": "2026-11"})
    again = report_lambda.handler({"month": "2026-11"})  # a rerun rewrites the same content
    assert again == summary
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == [
        f"finance/claude/2026-11/{n}"
        for n in (
            "spend-by-cost_center.csv",
            "spend-by-model.csv",
            "spend-by-team.csv",
            "spend-by-user.csv",
            "summary.json",
        )
    ]
    for by in ("user", "team", "cost_center", "model"):
        body = s3.get_object(Bucket=bucket, Key=f"finance/claude/2026-11/spend-by-{by}.csv")["Body"].read().decode()
        cli = CliRunner().invoke(app, ["export", "--from", "2026-11-01", "--to", "2026-12-01", "--by", by])
        assert cli.exit_code == 0, cli.output
        assert body == cli.stdout  # the same rows, byte for byte
    priced = [p.usd for p in month_table.points if p.usd is not None and p.ts >= 1_793_491_200_000]
    assert summary["total_usd"] == pytest.approx(sum(priced), abs=0.005 * 5)  # rounded per model, 4 models
    messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1, MaxNumberOfMessages=10).get("Messages", [])
    assert len(messages) == 2  # one per run
    body = messages[0]["Body"]
    assert body.startswith(f"Claude Code spend 2026-11: {summary['total_usd']:,.2f} USD")
    assert (
        json.loads(body.split("\n\n", 1)[1])["objects"]["team"]
        == f"s3://{bucket}/finance/claude/2026-11/spend-by-team.csv"
    )
