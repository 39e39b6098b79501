"""The twenty widgets, as code: id, title, size on the 24-column CloudWatch grid, renderer, and — for the five
that are native CloudWatch metric widgets on AWS — the metrics they plot.

Every widget renders locally (the `ccstream dashboard` page) and in the custom-widget Lambda from DynamoDB, except
the Bedrock ones, which read CloudWatch metrics. On AWS, the ClaudeCode-namespace natives plot the metrics the
consumer publishes per closed window (`consumers/sink/cloudwatch.py`); the local page draws the same figures from
DynamoDB, so it needs no CloudWatch.
"""

from __future__ import annotations

from dataclasses import dataclass

from consumers.dashboard.widgets import bedrock, code, cost, events, people, usage
from consumers.dashboard.widgets.context import Renderer
from consumers.errors import ConfigError
from consumers.sink import cloudwatch as cw


@dataclass(frozen=True)
class NativeMetrics:
    """A native CloudWatch metric widget: `metrics` are (namespace, metric name) pairs plotted as sums, or a
    SEARCH expression (`search`) for one line per value of a dimension."""

    metrics: tuple[tuple[str, str], ...] = ()
    search: tuple[str, ...] = ()
    stacked: bool = False


@dataclass(frozen=True)
class WidgetSpec:
    id: str
    title: str
    render: Renderer
    width: int = 8
    height: int = 6
    native: NativeMetrics | None = None

    @property
    def is_custom(self) -> bool:
        """Rendered by the custom-widget Lambda on AWS (reads DynamoDB)."""
        return self.native is None


def _bedrock_search(metric: str) -> str:
    return f"SEARCH('{{AWS/Bedrock,ModelId}} MetricName=\"{metric}\"', 'Sum', 300)"


WIDGETS: tuple[WidgetSpec, ...] = (
    # Real-time figures
    WidgetSpec("total_tokens", "Total Tokens", usage.total_tokens, 6, 6),
    WidgetSpec("active_users", "Active Users", people.active_users, 6, 6),
    WidgetSpec("cache_efficiency", "Cache Efficiency", usage.cache_efficiency, 6, 6),
    WidgetSpec("active_hours", "Active Hours", people.active_hours, 6, 6),
    WidgetSpec("budgets", "Budgets: spend, burn rate, exhaustion", cost.budgets, 12, 9),
    WidgetSpec("model_quota", "Model Quota Usage (tokens/min)", usage.model_quota, 12, 9),
    # Over time
    WidgetSpec(
        "tokens_over_time",
        "Token Usage Over Time",
        usage.tokens_over_time,
        12,
        7,
        NativeMetrics(tuple((cw.NAMESPACE, n) for n in cw.TOKEN_TYPE_METRICS.values()), stacked=True),
    ),
    WidgetSpec(
        "lines_over_time",
        "Lines Added / Removed Over Time",
        code.lines_over_time,
        12,
        7,
        NativeMetrics(((cw.NAMESPACE, cw.LINES_ADDED), (cw.NAMESPACE, cw.LINES_REMOVED))),
    ),
    WidgetSpec("active_users_over_time", "Active Users Over Time", people.active_users_over_time, 12, 7),
    WidgetSpec("users_over_time", "Users Over Time (adoption)", people.users_over_time, 12, 7),
    # Breakdowns
    WidgetSpec("tokens_by_model", "Token Usage by Model", usage.tokens_by_model, 12, 7),
    WidgetSpec("tokens_by_type", "Token Usage by Type", usage.tokens_by_type, 12, 7),
    WidgetSpec("top_users", "Top Users by Tokens and Cost", people.top_users, 12, 9),
    WidgetSpec("cost_by_team", "Cost by Department / Team", cost.cost_by_team, 12, 9),
    # Development
    WidgetSpec("code_acceptance", "Code Acceptance Rate by Language", code.code_acceptance, 12, 7),
    WidgetSpec("code_by_language", "Code Generation by Language", code.code_by_language, 12, 7),
    WidgetSpec("operations_by_tool", "Operations by Type (tool)", code.operations_by_tool, 12, 7),
    WidgetSpec(
        "commits_prs",
        "Commits and Pull Requests",
        code.commits_prs,
        12,
        7,
        NativeMetrics(((cw.NAMESPACE, cw.COMMITS_METRIC), (cw.NAMESPACE, cw.PULL_REQUESTS_METRIC))),
    ),
    # Bedrock (native)
    WidgetSpec(
        "bedrock_errors",
        "Bedrock API Errors by Model",
        bedrock.bedrock_errors,
        12,
        6,
        NativeMetrics(search=tuple(_bedrock_search(m) for m in bedrock.ERROR_METRICS)),
    ),
    WidgetSpec(
        "bedrock_throttles",
        "Bedrock Throttles by Model",
        bedrock.bedrock_throttles,
        12,
        6,
        NativeMetrics(search=tuple(_bedrock_search(m) for m in bedrock.THROTTLE_METRICS)),
    ),
)

#: Event widgets (issue 16), after the twenty on the page and on the CloudWatch dashboard.
EVENT_WIDGETS: tuple[WidgetSpec, ...] = (
    WidgetSpec("api_latency", "API Latency p50 / p95 by Model", events.api_latency, 12, 8),
    WidgetSpec("api_errors", "API Errors and Exhausted Retries by Model / Status", events.api_errors, 12, 8),
    WidgetSpec("tool_reliability", "Tool Success Rate and p95 Duration", events.tool_reliability, 8, 8),
    WidgetSpec("top_tools", "Top Tools", events.top_tools, 8, 8),
    WidgetSpec("subagent_cost_share", "Subagent Cost Share", events.subagent_cost_share, 8, 8),
)
ALL_WIDGETS: tuple[WidgetSpec, ...] = (*WIDGETS, *EVENT_WIDGETS)

BY_ID: dict[str, WidgetSpec] = {w.id: w for w in ALL_WIDGETS}


def widget(widget_id: str) -> WidgetSpec:
    try:
        return BY_ID[widget_id]
    except KeyError:
        raise ConfigError(f"unknown widget {widget_id!r}; choose one of {', '.join(BY_ID)}") from None
