"""AWS Lambda entry points of the dashboard stack.

`handler(event, context)` — a CloudWatch custom widget: returns the widget's HTML (inline SVG, no script). The
widget id comes from the widget's params (`{"widget": "total_tokens"}`, which CloudWatch passes both at the top of
the event and under `widgetContext.params`); the time range is the dashboard's (`widgetContext.timeRange`, the
zoomed range when the user zoomed in). `event["describe"]` returns the documentation CloudWatch shows when adding
the widget.

`scheduled_handler(event, context)` — EventBridge, every few minutes: rolls up the per-user day items and checks
budgets, publishing crossed thresholds to SNS (`CCSTREAM_ALERT_TOPIC_ARN`) and storing each budget's status for
the budget status endpoint (`consumers/spend/status_lambda.py`).

Clients are built from the environment (`AWS_REGION`, `CCSTREAM_TABLE`, optional `AWS_ENDPOINT_URL`); the budgets
document comes from `CCSTREAM_BUDGETS_JSON` (or a `CCSTREAM_BUDGETS` path inside the package).
"""

from __future__ import annotations

import functools
import logging
import time
from typing import Any

from consumers.aws import AwsTarget
from consumers.config import Names
from consumers.dashboard.alerts import DynamoAlertLedger, check_budgets, notifier_from_env
from consumers.dashboard.charts import Charts
from consumers.dashboard.config import load_config
from consumers.dashboard.data import DashboardData
from consumers.dashboard.html import error_result, widget_html
from consumers.dashboard.render import render_widget
from consumers.dashboard.timerange import DAY_MS, TimeRange
from consumers.dashboard.widgets.catalogue import ALL_WIDGETS, BY_ID
from consumers.dashboard.widgets.context import WidgetContext
from consumers.errors import CcstreamError
from consumers.query.reader import DynamoRowReader
from consumers.rollup import rollup_user_days
from consumers.spend.months import Month
from consumers.spend.status import StatusStore

log = logging.getLogger(__name__)
log.setLevel(logging.INFO)

DEFAULT_SPAN_MS = 3 * 3600 * 1000


def _now_ms() -> int:
    return int(time.time() * 1000)


@functools.cache
def _dynamodb(endpoint_url: str | None, region: str) -> Any:
    """One client per container and target: Lambda reuses warm containers, and creating a boto3 client costs
    tens of milliseconds (clients are thread-safe and hold no per-request state)."""
    return AwsTarget(endpoint_url, region).client("dynamodb")


def widget_id_of(event: dict[str, Any]) -> str | None:
    ctx = event.get("widgetContext") or {}
    params = ctx.get("params") or {}
    value = params.get("widget") or event.get("widget")
    return str(value) if value else None


def time_range_of(event: dict[str, Any], now_ms: int) -> TimeRange:
    """The dashboard's range (its zoom when zoomed), snapped to stored windows; the last 3 h if absent."""
    tr = (event.get("widgetContext") or {}).get("timeRange") or {}
    zoom = tr.get("zoom") or {}
    start = zoom.get("start") or tr.get("start")
    end = zoom.get("end") or tr.get("end")
    if not start or not end:
        end, start = now_ms, now_ms - DEFAULT_SPAN_MS
    return TimeRange.snapped(int(start), int(end), now_ms)


def describe() -> str:
    ids = "\n".join(f"* `{w.id}` — {w.title}" for w in ALL_WIDGETS if w.is_custom)
    return (
        "## ccstream widgets\nClaude Code usage from the `ClaudeCodeMetrics` table. Set the widget's parameters to "
        '`{"widget": "<id>"}` with one of:\n' + ids
    )


def handler(event: dict[str, Any], context: Any = None) -> Any:
    """CloudWatch custom widget: HTML for one widget over the dashboard's time range."""
    if event.get("describe"):
        return {"markdown": describe()}
    now_ms = _now_ms()
    widget_id = widget_id_of(event)
    spec = BY_ID.get(widget_id or "")
    try:
        rng = time_range_of(event, now_ms)
    except CcstreamError as exc:
        return widget_html(widget_id or "unknown", "ccstream", "", error_result(str(exc)), standalone=True)
    if spec is None:
        message = f'unknown widget {widget_id!r}: set the widget parameters to {{"widget": "<id>"}}, one of ' + (
            ", ".join(BY_ID)
        )
        return widget_html(widget_id or "unknown", "ccstream", rng.label, error_result(message), standalone=True)
    aws = AwsTarget.from_env()
    names = Names.from_env()
    ctx = WidgetContext(
        data=DashboardData(DynamoRowReader(_dynamodb(aws.endpoint_url, aws.region), names.table)),
        range=rng,
        config=load_config(),
        charts=Charts(),
        now_ms=now_ms,
        metrics=None,  # native widgets are drawn by CloudWatch itself
    )
    rendered = render_widget(spec, ctx, standalone=True)
    log.info("widget %s rendered in %.0f ms (%d reads)", spec.id, rendered.seconds * 1000, ctx.data.reads)
    return rendered.html


def scheduled_handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Roll up yesterday's and today's user days, then check budgets and send any new alerts."""
    now_ms = _now_ms()
    aws = AwsTarget.from_env()
    names = Names.from_env()
    client = aws.client("dynamodb")
    reader = DynamoRowReader(client, names.table)
    day_start = now_ms - now_ms % DAY_MS
    user_days: int | None = None
    rollup_error: Exception | None = None
    try:
        user_days = rollup_user_days(reader, client, names.table, day_start - DAY_MS, now_ms).user_days
    except Exception as exc:  # budgets read the window rows, not the user-days: they run whatever happens here
        log.exception("user-day rollup failed; checking budgets anyway")
        rollup_error = exc
    config = load_config()
    sent = statuses = 0
    if config.has_budgets:
        result = check_budgets(
            config,
            DashboardData(reader),
            DynamoAlertLedger(client, names.table),
            notifier_from_env(lambda: aws.client("sns")),
            now_ms,
        )
        sent = len(result.sent)
        statuses = StatusStore(client, names.table).save(result.statuses, Month.parse(result.month), now_ms)
    summary = {"user_days": user_days, "alerts_sent": sent, "statuses_written": statuses}
    log.info("scheduled run: %s", summary)
    if rollup_error is not None:
        raise rollup_error  # after the budgets: the function's Errors alarm still sees the failed rollup
    return summary
