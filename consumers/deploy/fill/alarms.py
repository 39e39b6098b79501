"""CloudWatch alarms (skipped by moto's CloudFormation): PutMetricAlarm when missing or different."""

from __future__ import annotations

from typing import Any

from consumers.deploy.fill.base import FillContext, contains, is_true

_INTEGERS = ("Period", "EvaluationPeriods", "DatapointsToAlarm")


def alarm_request(props: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation alarm properties → the PutMetricAlarm request (same names, typed values)."""
    request = {k: v for k, v in props.items() if k not in ("Tags",)}
    for key in _INTEGERS:
        if key in request:
            request[key] = int(request[key])
    if "Threshold" in request:
        request["Threshold"] = float(request["Threshold"])
    if "ActionsEnabled" in request:
        request["ActionsEnabled"] = is_true(request["ActionsEnabled"])
    for metric in request.get("Metrics", []):
        if "ReturnData" in metric:
            metric["ReturnData"] = is_true(metric["ReturnData"])
        stat = metric.get("MetricStat")
        if stat and "Period" in stat:
            stat["Period"] = int(stat["Period"])
    return request


def fill_alarm(ctx: FillContext, logical_id: str, props: dict[str, Any]) -> list[str]:
    cloudwatch = ctx.client("cloudwatch")
    request = alarm_request(props)
    name = request["AlarmName"]
    found = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    compared = {k: request[k] for k in ("Namespace", "MetricName", "Threshold", "ComparisonOperator") if k in request}
    if found and contains(compared, found[0]) and found[0].get("AlarmActions", []) == request.get("AlarmActions", []):
        return []
    cloudwatch.put_metric_alarm(**request)
    return [f"{logical_id}: {'updated' if found else 'created'} alarm {name}"]


def fill_scalable_target(ctx: FillContext, logical_id: str, props: dict[str, Any]) -> list[str]:
    scaling = ctx.client("application-autoscaling")
    key = {
        "ServiceNamespace": props["ServiceNamespace"],
        "ResourceId": props["ResourceId"],
        "ScalableDimension": props["ScalableDimension"],
    }
    wanted = {"MinCapacity": int(props["MinCapacity"]), "MaxCapacity": int(props["MaxCapacity"])}
    found = scaling.describe_scalable_targets(
        ServiceNamespace=key["ServiceNamespace"], ResourceIds=[key["ResourceId"]]
    )["ScalableTargets"]
    if found and contains(wanted, found[0]):
        return []
    scaling.register_scalable_target(**key, **wanted)
    bounds = f"{wanted['MinCapacity']}-{wanted['MaxCapacity']}"
    return [f"{logical_id}: registered scalable target {key['ResourceId']} ({bounds})"]


def fill_scaling_policy(ctx: FillContext, logical_id: str, props: dict[str, Any]) -> list[str]:
    scaling = ctx.client("application-autoscaling")
    found = scaling.describe_scaling_policies(
        ServiceNamespace=props["ServiceNamespace"], ResourceId=props["ResourceId"], PolicyNames=[props["PolicyName"]]
    )["ScalingPolicies"]
    if any(p["PolicyName"] == props["PolicyName"] for p in found):  # moto ignores PolicyNames: a service's 2nd policy
        return []
    scaling.put_scaling_policy(
        PolicyName=props["PolicyName"],
        ServiceNamespace=props["ServiceNamespace"],
        ResourceId=props["ResourceId"],
        ScalableDimension=props["ScalableDimension"],
        PolicyType=props["PolicyType"],
        **_policy_configuration(props),
    )
    return [f"{logical_id}: created scaling policy {props['PolicyName']}"]


def _policy_configuration(props: dict[str, Any]) -> dict[str, Any]:
    """The target-tracking or step-scaling configuration of a policy, with the API's types."""
    if "StepScalingPolicyConfiguration" in props:
        step = dict(props["StepScalingPolicyConfiguration"])
        if "Cooldown" in step:
            step["Cooldown"] = int(step["Cooldown"])
        step["StepAdjustments"] = [
            {k: (int(v) if k == "ScalingAdjustment" else float(v)) for k, v in adjustment.items()}
            for adjustment in step.get("StepAdjustments", [])
        ]
        return {"StepScalingPolicyConfiguration": step}
    config = dict(props["TargetTrackingScalingPolicyConfiguration"])
    config["TargetValue"] = float(config["TargetValue"])
    for key in ("ScaleInCooldown", "ScaleOutCooldown"):
        if key in config:
            config[key] = int(config[key])
    if "DisableScaleIn" in config:
        config["DisableScaleIn"] = is_true(config["DisableScaleIn"])
    return {"TargetTrackingScalingPolicyConfiguration": config}


def fill_topic_subscription(ctx: FillContext, logical_id: str, props: dict[str, Any]) -> list[str]:
    sns = ctx.client("sns")
    topic = props["TopicArn"]
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    if any(s["Protocol"] == props["Protocol"] and s["Endpoint"] == props["Endpoint"] for s in subscriptions):
        return []
    sns.subscribe(TopicArn=topic, Protocol=props["Protocol"], Endpoint=props["Endpoint"])
    return [f"{logical_id}: subscribed {props['Endpoint']} to {topic}"]


FILLERS = {
    "AWS::CloudWatch::Alarm": fill_alarm,
    "AWS::ApplicationAutoScaling::ScalableTarget": fill_scalable_target,
    "AWS::ApplicationAutoScaling::ScalingPolicy": fill_scaling_policy,
    "AWS::SNS::Subscription": fill_topic_subscription,
}
