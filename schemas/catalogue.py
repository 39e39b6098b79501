"""The Claude Code metric catalogue: what the meter `com.anthropic.claude_code` emits.

Metrics not listed here are still accepted and aggregated generically (new Claude Code versions add metrics);
the catalogue only supplies units, descriptions and the attributes worth their own lake column.
"""

from __future__ import annotations

from dataclasses import dataclass

METER = "com.anthropic.claude_code"


@dataclass(frozen=True)
class MetricSpec:
    name: str
    unit: str  # as Claude Code declares it
    emf_unit: str  # as awsemf writes it into `_aws.CloudWatchMetrics[].Metrics[].Unit`
    description: str
    attributes: tuple[str, ...]  # beyond the standard attributes


TOKEN_USAGE = "claude_code.token.usage"
COST_USAGE = "claude_code.cost.usage"
SESSION_COUNT = "claude_code.session.count"
LINES_OF_CODE = "claude_code.lines_of_code.count"
PULL_REQUESTS = "claude_code.pull_request.count"
COMMITS = "claude_code.commit.count"
CODE_EDIT_DECISION = "claude_code.code_edit_tool.decision"
ACTIVE_TIME = "claude_code.active_time.total"

_NEWER_COST_EXTRAS = (
    "query_source",
    "speed",
    "effort",
    "agent.name",
    "skill.name",
    "plugin.name",
    "marketplace.name",
    "mcp_server.name",
    "mcp_tool.name",
)

METRICS: dict[str, MetricSpec] = {
    m.name: m
    for m in (
        MetricSpec(SESSION_COUNT, "count", "Count", "CLI sessions started", ("start_type",)),
        MetricSpec(LINES_OF_CODE, "count", "Count", "Lines of code modified", ("type", "model")),
        MetricSpec(PULL_REQUESTS, "count", "Count", "Pull requests created", ()),
        MetricSpec(COMMITS, "count", "Count", "Git commits created", ()),
        MetricSpec(COST_USAGE, "USD", "USD", "Client-side list-price cost estimate", ("model", *_NEWER_COST_EXTRAS)),
        MetricSpec(TOKEN_USAGE, "tokens", "tokens", "Tokens used", ("type", "model", *_NEWER_COST_EXTRAS)),
        MetricSpec(
            CODE_EDIT_DECISION,
            "count",
            "Count",
            "Edit/Write/NotebookEdit permission decisions",
            ("tool_name", "decision", "source", "language"),
        ),
        MetricSpec(ACTIVE_TIME, "s", "Seconds", "Active time in seconds", ("type",)),
    )
}

#: Token types of `claude_code.token.usage`.
TOKEN_TYPES = ("input", "output", "cacheRead", "cacheCreation")

#: Attributes every data point may carry (OTel standard + Claude Code standard; real-telemetry.md §2).
#: `anthropic.custom_base_url` (a bool, written "true"/"false"), `user.groups` (a list from a gateway) and
#: `vcs.repository.url.full` (long, may embed credentials in a URL) stay in the lake's `attributes` map on purpose.
STANDARD_ATTRIBUTES = (
    "session.id",
    "app.version",
    "organization.id",
    "user.account_uuid",
    "user.account_id",
    "user.id",
    "user.email",
    "terminal.type",
    "anthropic.provider",
    "app.entrypoint",
    "identity.source",
    "vcs.provider.name",
    "vcs.owner.name",
    "vcs.repository.name",
)

#: `service.name` values: the CLI and Claude Code Desktop.
SERVICE_NAMES = ("claude-code", "claude-code-desktop")

#: `start_type` of `claude_code.session.count` that opens the `claude agents` UI: not a session.
NOT_A_SESSION_START_TYPE = "agents_view"

#: Attributes the enterprise collector upserts from request headers / resource processor.
COLLECTOR_ATTRIBUTES = (
    "user.name",
    "department",
    "team.id",
    "cost_center",
    "organization",
    "location",
    "role",
    "manager",
    "aws.account_id",
    "deployment.environment",
)

#: Resource attributes copied to the top level by `resource_to_telemetry_conversion`.
RESOURCE_ATTRIBUTES = ("service.name", "service.version", "os.type", "os.version", "host.arch")

#: Every metric-specific attribute the catalogue knows, in a stable order.
METRIC_ATTRIBUTES: tuple[str, ...] = tuple(dict.fromkeys(a for spec in METRICS.values() for a in spec.attributes))

#: All attributes that get their own lake column; anything else lands in the `attributes` map column.
KNOWN_ATTRIBUTES: tuple[str, ...] = tuple(
    dict.fromkeys(("OTelLib", *STANDARD_ATTRIBUTES, *COLLECTOR_ATTRIBUTES, *RESOURCE_ATTRIBUTES, *METRIC_ATTRIBUTES))
)

#: EMF keys that are neither attributes nor metric values.
EMF_RESERVED_KEYS = frozenset({"_aws", "Version"})


def user_key(attributes: dict[str, str]) -> str | None:
    """Who a data point belongs to: `user.email`, falling back to `user.id` (email is OAuth-only)."""
    return attributes.get("user.email") or attributes.get("user.id") or None


def is_metric_name(key: str) -> bool:
    """True for keys that name a Claude Code metric even when no EMF directive declares them."""
    return key.startswith("claude_code.")
