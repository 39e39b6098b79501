"""Bedrock API errors and throttles per model: native CloudWatch metric widgets on `AWS/Bedrock`.

In CloudWatch these are plain metric widgets (a SEARCH over every ModelId, so new models appear by themselves).
The local page draws the same figures from the endpoint's CloudWatch API (`CloudWatchMetricSource`): ListMetrics
to find the models, GetMetricData for the sums.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from consumers.dashboard.html import WidgetResult, error_result, fmt_int, table
from consumers.dashboard.widgets.context import WidgetContext, axis_label, ranked
from consumers.windows.definitions import WINDOW_SIZES

NAMESPACE = "AWS/Bedrock"
DIMENSION = "ModelId"
ERROR_METRICS = ("InvocationClientErrors", "InvocationServerErrors")
THROTTLE_METRICS = ("InvocationThrottles",)
_QUERIES_PER_CALL = 500


class CloudWatchMetricSource:
    """Sums of CloudWatch metrics by one dimension, through ListMetrics + GetMetricData. Client passed in."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def sums_by_dimension(
        self, namespace: str, metric: str, dimension: str, from_ms: int, to_ms: int, period_s: int
    ) -> dict[str, dict[int, float]]:
        values: list[str] = []
        for page in self.client.get_paginator("list_metrics").paginate(Namespace=namespace, MetricName=metric):
            for m in page.get("Metrics", []):
                dims = m.get("Dimensions", [])
                if len(dims) == 1 and dims[0]["Name"] == dimension:
                    values.append(dims[0]["Value"])
        out: dict[str, dict[int, float]] = {}
        values = sorted(set(values))
        for i in range(0, len(values), _QUERIES_PER_CALL):
            chunk = values[i : i + _QUERIES_PER_CALL]
            queries = [
                {
                    "Id": f"m{n}",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": namespace,
                            "MetricName": metric,
                            "Dimensions": [{"Name": dimension, "Value": v}],
                        },
                        "Period": period_s,
                        "Stat": "Sum",
                    },
                    "ReturnData": True,
                }
                for n, v in enumerate(chunk)
            ]
            kwargs: dict[str, Any] = {
                "MetricDataQueries": queries,
                "StartTime": datetime.fromtimestamp(from_ms / 1000, UTC),
                "EndTime": datetime.fromtimestamp(to_ms / 1000, UTC),
            }
            while True:
                resp = self.client.get_metric_data(**kwargs)
                for result in resp.get("MetricDataResults", []):
                    value = chunk[int(result["Id"][1:])]
                    points = out.setdefault(value, {})
                    for ts, v in zip(result.get("Timestamps", []), result.get("Values", []), strict=False):
                        ms = int(ts.timestamp() * 1000)
                        points[ms] = points.get(ms, 0.0) + float(v)
                token = resp.get("NextToken")
                if not token:
                    break
                kwargs["NextToken"] = token
        return out


def _native(ctx: WidgetContext, metrics: tuple[str, ...], label: str) -> WidgetResult:
    if ctx.metrics is None:
        return WidgetResult(
            body=f'<p class="sub">{label} is a native CloudWatch metric widget ({NAMESPACE}).</p>',
            values={"models": {}},
        )
    rng = ctx.range
    size = ctx.window_size
    period_s = WINDOW_SIZES[size].duration_ms // 1000
    try:
        per_metric: dict[str, dict[str, dict[int, float]]] = {
            m: ctx.metrics.sums_by_dimension(NAMESPACE, m, DIMENSION, rng.from_ms, rng.to_ms, period_s) for m in metrics
        }
    except (BotoCoreError, ClientError) as exc:
        return error_result(
            f"CloudWatch metrics unavailable ({exc}); the widget needs cloudwatch:ListMetrics and "
            "cloudwatch:GetMetricData at the endpoint the dashboard uses."
        )
    models: dict[str, dict[str, float]] = {}
    for metric, by_model in per_metric.items():
        for model, points in by_model.items():
            inside = sum(v for ts, v in points.items() if rng.from_ms <= ts < rng.to_ms)
            models.setdefault(model, {m: 0.0 for m in metrics})[metric] += inside
    totals = {model: sum(v.values()) for model, v in models.items()}
    order = [m for m, _ in ranked(totals)]
    starts = rng.starts(size)
    step = WINDOW_SIZES[size].duration_ms
    series = []
    for model in order[:8]:
        per_start = dict.fromkeys(starts, 0.0)
        for by_model in per_metric.values():
            for ts, v in by_model.get(model, {}).items():
                bucket = ts - (ts - rng.from_ms) % step
                if bucket in per_start:
                    per_start[bucket] += v
        series.append((model, [per_start[s] for s in starts]))
    svg = ctx.charts.lines([axis_label(s, size) for s in starts], series)
    header = ("model", *metrics) if len(metrics) > 1 else ("model", metrics[0])
    rows = [(m, *(fmt_int(models[m][x]) for x in metrics)) for m in order]
    total = round(sum(totals.values()))
    values = {
        "total": total,
        "models": {m: round(totals[m]) for m in order},
        "by_metric": {x: round(sum(models[m][x] for m in order)) for x in metrics},
    }
    return WidgetResult(
        headline=fmt_int(total),
        value=total,
        values=values,
        body=svg + table(header, rows, tuple(range(1, len(header)))),
        note=f"{NAMESPACE} {' + '.join(metrics)} per {DIMENSION}",
    )


def bedrock_errors(ctx: WidgetContext) -> WidgetResult:
    return _native(ctx, ERROR_METRICS, "Bedrock API errors")


def bedrock_throttles(ctx: WidgetContext) -> WidgetResult:
    return _native(ctx, THROTTLE_METRICS, "Bedrock throttles")
