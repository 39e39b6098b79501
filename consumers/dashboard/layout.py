"""The CloudWatch dashboard body for the twenty widgets, generated from the catalogue.

Custom widgets call the widget Lambda with `{"widget": "<id>"}` and refresh on time-range change; native widgets
plot the `ClaudeCode` metrics the consumer publishes (`consumers/sink/cloudwatch.py`) and `AWS/Bedrock` errors and
throttles per model (a SEARCH, so new models need no change). Widgets flow left to right on the 24-column grid.

`python -m consumers.dashboard.layout` prints the body with `${WidgetFunctionArn}`, `${AWS::Region}`,
`${StreamName}` and `${DeliveryStreamName}` left for CloudFormation's `Fn::Sub`, ready for `infra/dashboard.yaml`.
"""

from __future__ import annotations

import json
from typing import Any

from consumers.dashboard.widgets.catalogue import ALL_WIDGETS, WidgetSpec

GRID_COLUMNS = 24


def _native_properties(spec: WidgetSpec, region: str) -> dict[str, Any]:
    assert spec.native is not None
    props: dict[str, Any] = {
        "title": spec.title,
        "region": region,
        "view": "timeSeries",
        "stacked": spec.native.stacked,
        "stat": "Sum",
        "period": 60,
    }
    if spec.native.search:
        props["period"] = 300
        props["metrics"] = [
            [{"expression": expr, "id": f"e{i}", "label": ""}] for i, expr in enumerate(spec.native.search, 1)
        ]
    else:
        props["metrics"] = [[namespace, name] for namespace, name in spec.native.metrics]
    return props


def pipeline_widgets(region: str, stream: str, delivery_stream: str, y: int) -> list[dict[str, Any]]:
    """Below the twenty usage widgets: the pipeline's own health (records in, consumer lag, lake delivery)."""

    def metric(x: int, title: str, stat: str, metrics: list[list[str]]) -> dict[str, Any]:
        props = {"title": title, "region": region, "view": "timeSeries", "stat": stat, "period": 60, "metrics": metrics}
        return {"x": x, "y": y, "width": 8, "height": 5, "type": "metric", "properties": props}

    return [
        metric(0, "Pipeline: records into Kinesis", "Sum", [["AWS/Kinesis", "IncomingRecords", "StreamName", stream]]),
        metric(
            8,
            "Pipeline: consumer lag (ms)",
            "Maximum",
            [["AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", "StreamName", stream]],
        ),
        metric(
            16,
            "Pipeline: lake delivery (records)",
            "Sum",
            [["AWS/Firehose", "DeliveryToS3.Records", "DeliveryStreamName", delivery_stream]],
        ),
    ]


def dashboard_body(
    function_arn: str, region: str, stream: str | None = None, delivery_stream: str | None = None
) -> dict[str, Any]:
    """The `DashboardBody` document: one entry per widget of the catalogue, in its order, then (when `stream` is
    given) the pipeline-health row."""
    widgets: list[dict[str, Any]] = []
    x = y = row_height = 0
    for spec in ALL_WIDGETS:
        if x + spec.width > GRID_COLUMNS:
            x, y, row_height = 0, y + row_height, 0
        placed: dict[str, Any] = {"x": x, "y": y, "width": spec.width, "height": spec.height}
        if spec.is_custom:
            placed["type"] = "custom"
            placed["properties"] = {
                "title": spec.title,
                "endpoint": function_arn,
                "params": {"widget": spec.id},
                "updateOn": {"refresh": True, "resize": True, "timeRange": True},
            }
        else:
            placed["type"] = "metric"
            placed["properties"] = _native_properties(spec, region)
        widgets.append(placed)
        x += spec.width
        row_height = max(row_height, spec.height)
    if stream is not None:
        widgets += pipeline_widgets(region, stream, delivery_stream or "", y + row_height)
    return {"start": "-PT3H", "periodOverride": "inherit", "widgets": widgets}


def template_body() -> str:
    """The body as CloudFormation `Fn::Sub` text (one widget per line)."""
    body = dashboard_body("${WidgetFunctionArn}", "${AWS::Region}", "${StreamName}", "${DeliveryStreamName}")
    lines = [json.dumps(w, separators=(", ", ": ")) for w in body["widgets"]]
    head = json.dumps({k: v for k, v in body.items() if k != "widgets"})[1:-1]
    return "{" + head + ', "widgets": [\n  ' + ",\n  ".join(lines) + "\n]}"


if __name__ == "__main__":
    print(template_body())
