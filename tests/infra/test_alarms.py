"""Every failure issue 13 names has an alarm, wired to the alarm topic, treating missing data as the failure mode
requires (a consumer that is not running publishes nothing: its alarms must breach on missing data)."""

from __future__ import annotations

from typing import Any

import pytest

from consumers.deploy.templates import load_template

WIRED = {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}

#: (template, resource, what it must watch: metric name or a text of its query, missing data breaching?)
EXPECTED = [
    ("streaming.yaml", "AggregatorHeartbeatAlarm", "Heartbeat", True),
    ("streaming.yaml", "AggregatorBehindAlarm", "MillisBehindLatest", True),
    ("streaming.yaml", "TransientFailuresAlarm", "TransientFailures", False),
    ("streaming.yaml", "SubscriptionDeliveryErrorsAlarm", "DeliveryErrors", False),
    ("streaming.yaml", "SubscriptionDeliveryThrottlingAlarm", "DeliveryThrottling", False),
    ("streaming.yaml", "StreamWriteThrottleAlarm", "WriteProvisionedThroughputExceeded", False),
    ("streaming.yaml", "ConsumerTasksAlarm", "RunningTaskCount", True),
    ("streaming.yaml", "UserIndexThrottleAlarm", "UserActivityIndex", False),
    ("streaming.yaml", "DashboardWidgetErrorsAlarm", "dashboard-widget", False),
    ("streaming.yaml", "DashboardBudgetErrorsAlarm", "dashboard-budgets", False),
    ("streaming.yaml", "DeadLettersBadInputAlarm", "bad_json", False),
    ("streaming.yaml", "DeadLettersLimitsAlarm", "labels_limited", False),
    ("streaming.yaml", "DeadLettersBadValuesAlarm", "negative_value", False),
    ("streaming.yaml", "DeadLettersLateAlarm", "late", False),
    ("analytics.yaml", "LakeFreshnessAlarm", "DeliveryToS3.DataFreshness", True),
    ("analytics.yaml", "LakeProcessingFailureAlarm", "ExecuteProcessing.Success", False),
    ("analytics.yaml", "LakeTransformErrorsAlarm", "lake-transform", False),
]


def _text(node: Any) -> str:
    if isinstance(node, dict):
        return " ".join(f"{k} {_text(v)}" for k, v in node.items())
    if isinstance(node, list):
        return " ".join(_text(v) for v in node)
    return str(node)


@pytest.mark.parametrize(("template", "name", "watches", "breaching"), EXPECTED)
def test_alarm_exists_watches_and_is_wired(template: str, name: str, watches: str, breaching: bool) -> None:
    resources = load_template(template).resources
    assert name in resources, f"{template}: no {name}"
    alarm = resources[name]
    assert alarm["Type"] == "AWS::CloudWatch::Alarm"
    props = alarm["Properties"]
    assert props["AlarmActions"] == WIRED
    assert watches in _text({k: v for k, v in props.items() if k not in ("AlarmName", "AlarmDescription")})
    assert props["TreatMissingData"] == ("breaching" if breaching else "notBreaching")


def test_every_lambda_function_has_an_errors_alarm() -> None:
    """Each AWS::Lambda::Function of every stack, by its FunctionName, is watched by an Errors alarm."""
    alarms = " ".join(
        _text(r["Properties"])
        for t in ("streaming.yaml", "analytics.yaml")
        for r in load_template(t).resources.values()
        if r["Type"] == "AWS::CloudWatch::Alarm" and "Errors" in _text(r["Properties"])
    )
    names = []
    for t in ("analytics.yaml", "dashboard.yaml", "streaming.yaml", "monitoring.yaml", "networking.yaml"):
        for r in load_template(t).resources.values():
            if r["Type"] == "AWS::Lambda::Function":
                names.append(_text(r["Properties"]["FunctionName"]).split("}-")[-1])
    assert names, "no functions found"
    for n in names:
        assert n in alarms, f"no Errors alarm for function *-{n}"


#: Alarms that drive autoscaling (their action is a scaling policy, not a page).
SCALING_ALARMS = {"ConsumerLagHighAlarm": "ConsumerLagScaleOut", "ConsumerLagLowAlarm": "ConsumerLagScaleIn"}


def test_every_alarm_of_the_two_stacks_is_wired() -> None:
    for t in ("streaming.yaml", "analytics.yaml"):
        for name, r in load_template(t).resources.items():
            if r["Type"] == "AWS::CloudWatch::Alarm":
                want = [{"Ref": SCALING_ALARMS[name]}] if name in SCALING_ALARMS else WIRED
                assert r["Properties"].get("AlarmActions") == want, f"{t}: {name}"


#: Every dead-letter reason the decoders, the pipeline and the lake emit (written out here, not imported).
REASONS = [
    "bad_gzip",
    "bad_json",
    "bad_envelope",
    "oversized_record",
    "events_limited",
    "not_emf",
    "bad_metadata",
    "no_timestamp",
    "no_metrics",
    "truncated",
    "oversized_line",
    "timestamp_out_of_range",
    "attribute_truncated",
    "attribute_name_too_long",
    "labels_limited",
    "points_limited",
    "missing_value",
    "non_numeric_value",
    "non_finite_value",
    "negative_value",
    "value_out_of_range",
    "histogram_value",
    "bad_attribute_type",
    "bad_unit",
    "late",
    "future",
    "poison_record",
    "outside_lake_range",
    "response_budget",
    "record_points_limited",
]


@pytest.mark.parametrize("reason", REASONS)
def test_every_dead_letter_reason_raises_an_alarm(reason: str) -> None:
    resources = load_template("streaming.yaml").resources
    queries = [
        _text(r["Properties"].get("Metrics", []))
        for name, r in resources.items()
        if r["Type"] == "AWS::CloudWatch::Alarm" and name.startswith("DeadLetters")
    ]
    assert any(f"Reason = '{reason}'" in q for q in queries), reason
