"""Runaway episodes in the table: one claimer per episode across checkers, extended while the spike lasts, a new
episode after the quiet period; alerts published to SNS with the numbers and the link."""

from __future__ import annotations

import json
import uuid

import pytest

from consumers.aws import AwsTarget
from consumers.spend.runaway import Spike
from consumers.spend.runaway_check import DynamoEpisodeLedger, RunawayAlert, sender_from_env
from tests.core.tables import create_metrics_table

T0 = 1_794_800_000_000
MIN = 60_000
QUIET = 30 * MIN


def spike(now: int, subject: str = "dev07@example.com") -> Spike:
    return Spike("user", subject, "tokens", 900_000.0, 500_000.0, 0.0, now, now - now % MIN)


@pytest.mark.emulator
def test_one_claim_per_episode_across_checkers(aws: AwsTarget) -> None:
    client = aws.client("dynamodb")
    table = f"runaway-{uuid.uuid4().hex[:8]}"
    create_metrics_table(client, table)
    lambda_check, local_watch = DynamoEpisodeLedger(client, table), DynamoEpisodeLedger(client, table)
    assert lambda_check.claim(spike(T0), T0, QUIET) is True
    assert local_watch.claim(spike(T0 + 10_000), T0 + 10_000, QUIET) is False  # the other checker: same episode
    for minute in range(1, 120):  # the loop runs two hours: every check extends the episode, none alerts
        assert lambda_check.claim(spike(T0 + minute * MIN), T0 + minute * MIN, QUIET) is False
    after_quiet = T0 + 119 * MIN + QUIET + MIN
    assert local_watch.claim(spike(after_quiet), after_quiet, QUIET) is True  # a new episode, a new alert
    assert lambda_check.claim(spike(T0, "x" * 2000), T0, QUIET) is True  # a huge subject still has a key
    long = spike(T0, "x" * 2000)
    lambda_check.release(long)
    assert local_watch.claim(long, T0 + 1, QUIET) is True  # released (send failed): the next check claims it


@pytest.mark.emulator
def test_alert_is_published_with_numbers_and_link(aws: AwsTarget, monkeypatch: pytest.MonkeyPatch) -> None:
    sns, sqs = aws.client("sns"), aws.client("sqs")
    topic = sns.create_topic(Name=f"runaway-{uuid.uuid4().hex[:8]}")["TopicArn"]
    queue = sqs.create_queue(QueueName=f"runaway-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    monkeypatch.setenv("CCSTREAM_ALERT_TOPIC_ARN", topic)
    send = sender_from_env(lambda: sns)
    send(RunawayAlert(spike(T0), "https://dash.example/?from=a&to=b"))
    (message,) = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", [])
    text, detail = message["Body"].split("\n\n", 1)
    assert "user dev07@example.com is spending 900,000.00 tokens/min" in text and "https://dash.example/" in text
    assert json.loads(detail)["threshold"] == 500_000.0
