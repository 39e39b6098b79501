"""The CloudWatch custom-widget Lambda, called in-process with custom-widget events (moto cannot invoke Lambdas),
reading the replayed fixture from the emulator's DynamoDB; and the scheduled budget/rollup Lambda."""

from __future__ import annotations

import json
import re
import uuid
from html import unescape

import pytest

from consumers.dashboard import lambda_handler
from consumers.dashboard.widgets.catalogue import WIDGETS
from tests.dashboard.conftest import LoadedFixture
from tests.dashboard.expected import expected

pytestmark = pytest.mark.emulator

FROM_MS = 1_796_421_600_000  # 2026-12-04T22:00:00Z
TO_MS = 1_796_436_000_000  # 2026-12-05T02:00:00Z
HOUR = 3_600_000
BUDGETS = {"teams": {"checkout-web": {"monthly_cost_usd": 10}}, "default_user": {"monthly_tokens": 5000000}}


def event(widget: str, start: int = FROM_MS, end: int = TO_MS, zoom: dict | None = None) -> dict:
    """A custom-widget event as CloudWatch sends it (params also copied to the top level)."""
    time_range: dict = {"mode": "absolute", "start": start, "end": end}
    if zoom:
        time_range["zoom"] = zoom
    return {
        "widget": widget,
        "widgetContext": {
            "dashboardName": "claude-code",
            "widgetId": f"widget-{widget}",
            "accountId": "123456789012",
            "locale": "en",
            "timezone": {"label": "UTC", "offsetISO": "+00:00", "offsetInMinutes": 0},
            "period": 300,
            "isAutoPeriod": True,
            "timeRange": time_range,
            "theme": "light",
            "linkCharts": True,
            "title": widget,
            "forms": {"all": {}},
            "params": {"widget": widget},
            "width": 588,
            "height": 369,
        },
    }


@pytest.fixture()
def lambda_env(midnight: LoadedFixture, monkeypatch: pytest.MonkeyPatch) -> LoadedFixture:
    monkeypatch.setenv("AWS_ENDPOINT_URL", midnight.target.endpoint_url or "")
    monkeypatch.setenv("AWS_REGION", midnight.target.region)
    monkeypatch.setenv("CCSTREAM_TABLE", midnight.names.table)
    monkeypatch.setenv("CCSTREAM_BUDGETS_JSON", json.dumps(BUDGETS))
    monkeypatch.delenv("CCSTREAM_BUDGETS", raising=False)
    monkeypatch.delenv("CCSTREAM_ALERT_TOPIC_ARN", raising=False)
    monkeypatch.setattr(lambda_handler, "_now_ms", lambda: TO_MS)
    return midnight


def values_of(html: str) -> dict:
    match = re.search(r'data-values="([^"]*)"', html)
    assert match, html[:500]
    return json.loads(unescape(match.group(1)))


def test_every_custom_widget_returns_static_html_with_its_figures(lambda_env: LoadedFixture) -> None:
    want = expected(lambda_env.points, FROM_MS, TO_MS, TO_MS, [], {"checkout-web": 10.0}, 5_000_000)
    custom = [w for w in WIDGETS if w.is_custom]
    assert len(custom) == 15
    pages = {spec.id: lambda_handler.handler(event(spec.id)) for spec in custom}
    for widget_id, html in pages.items():
        assert isinstance(html, str)
        assert html.startswith("<style>") and f'data-widget="{widget_id}"' in html
        assert "<script" not in html  # custom widgets run no JavaScript
        assert "error" not in values_of(html), (widget_id, values_of(html))
    got = {widget_id: values_of(html) for widget_id, html in pages.items()}
    assert got["total_tokens"]["total"] == want["total_tokens"]["total"]
    assert got["active_users"]["users"] == want["active_users"]["users"]
    assert got["tokens_by_model"]["models"] == want["tokens_by_model"]["models"]
    assert got["code_acceptance"]["overall"] == pytest.approx(want["code_acceptance"]["overall"], abs=1e-6)
    spent = {(b["scope"], b["name"], b["kind"]): b["spent"] for b in got["budgets"]["budgets"]}
    assert spent.keys() == want["budgets"]["budgets"].keys()
    for key, exp in want["budgets"]["budgets"].items():
        assert spent[key] == pytest.approx(exp["spent"], abs=1e-6)


def test_the_zoomed_range_is_honoured(lambda_env: LoadedFixture) -> None:
    zoom = {"start": FROM_MS + HOUR, "end": FROM_MS + 2 * HOUR}
    html = lambda_handler.handler(event("total_tokens", zoom=zoom))
    want = expected(lambda_env.points, FROM_MS + HOUR, FROM_MS + 2 * HOUR, TO_MS, [], {}, 1)
    assert values_of(html)["total"] == want["total_tokens"]["total"]
    assert values_of(html)["total"] < values_of(lambda_handler.handler(event("total_tokens")))["total"]
    assert "2026-12-04T23:00:00Z → 2026-12-05T00:00:00Z" in html


def test_describe_and_unknown_widget(lambda_env: LoadedFixture) -> None:
    doc = lambda_handler.handler({"describe": True})
    assert "total_tokens" in doc["markdown"] and "bedrock_errors" not in doc["markdown"]
    html = lambda_handler.handler(event("nope"))
    assert "unknown widget" in values_of(html)["error"] and "top_users" in values_of(html)["error"]
    native = lambda_handler.handler(event("bedrock_throttles"))
    assert "native CloudWatch metric widget" in native


def test_scheduled_handler_rolls_up_and_alerts_once(lambda_env: LoadedFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    target = lambda_env.target
    sns, sqs = target.client("sns"), target.client("sqs")
    topic = sns.create_topic(Name=f"alarms-{uuid.uuid4().hex[:8]}")["TopicArn"]
    queue = sqs.create_queue(QueueName=f"alarms-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    monkeypatch.setenv("CCSTREAM_ALERT_TOPIC_ARN", topic)
    first = lambda_handler.scheduled_handler({"source": "aws.events"})
    second = lambda_handler.scheduled_handler({"source": "aws.events"})
    want = expected(lambda_env.points, FROM_MS, TO_MS, TO_MS, [], {"checkout-web": 10.0}, 5_000_000)["budgets"]
    crossings = sum(
        sum(1 for t in (80, 90, 100) if b["spent"] * 100 >= t * b["limit"]) for b in want["budgets"].values()
    )
    assert crossings > 0
    assert first["alerts_sent"] == crossings and second["alerts_sent"] == 0
    user_days = {(p.ts // 86_400_000, p.user) for p in lambda_env.points}  # yesterday and today (4 and 5 Dec)
    assert first["user_days"] == len(user_days)
    received = []
    for _ in range(5):
        received += sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    assert len(received) == crossings


def test_budgets_alert_even_when_the_rollup_fails(lambda_env: LoadedFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """Budgets read the window rows, never the user-days: a rollup that fails (here: refused outright) does not
    stop the alerts, and the failure still reaches the function's Errors alarm (raised after the budgets ran)."""
    target = lambda_env.target
    ddb = target.client("dynamodb")
    for page in ddb.get_paginator("scan").paginate(
        TableName=lambda_env.names.table,
        FilterExpression="begins_with(pk, :b)",
        ExpressionAttributeValues={":b": {"S": "BUDGET#"}},
        ProjectionExpression="pk, sk",
    ):
        for key in page["Items"]:  # alerts other tests sent: this one must send them again
            ddb.delete_item(TableName=lambda_env.names.table, Key=key)
    sns, sqs = target.client("sns"), target.client("sqs")
    topic = sns.create_topic(Name=f"alarms-{uuid.uuid4().hex[:8]}")["TopicArn"]
    queue = sqs.create_queue(QueueName=f"alarms-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    monkeypatch.setenv("CCSTREAM_ALERT_TOPIC_ARN", topic)

    def refused(*_: object, **__: object) -> object:
        raise RuntimeError("user-day rollup refused")

    monkeypatch.setattr(lambda_handler, "rollup_user_days", refused)
    with pytest.raises(RuntimeError, match="rollup refused"):
        lambda_handler.scheduled_handler({"source": "aws.events"})
    want = expected(lambda_env.points, FROM_MS, TO_MS, TO_MS, [], {"checkout-web": 10.0}, 5_000_000)["budgets"]
    crossings = sum(
        sum(1 for t in (80, 90, 100) if b["spent"] * 100 >= t * b["limit"]) for b in want["budgets"].values()
    )
    received = []
    for _ in range(5):
        received += sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    assert crossings > 0 and len(received) == crossings
