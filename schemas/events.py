"""Claude Code events (OTLP logs) as the CloudWatch Logs exporter writes them, and what ccstream keeps of them.

The exporter (`awscloudwatchlogs`, contrib v0.131.0, not `raw_log`) writes one log event per OTLP log record: a
JSON object `{"body": "claude_code.<name>", "attributes": {...}, "resource": {...}, "scope": {"name", "version"}}`
(`severity_*`, `flags`, `trace_id`, `span_id`, `dropped_attributes_count` only when set), keys of each map in byte
order, values as the OTLP `AsRaw` (ints as numbers, doubles, bools, arrays, maps), and the log record's time as
the log event time (the time it was exported when the record had none). See `real-telemetry.md` §3 for the shapes.

Every key name ccstream reads is declared here once. **Privacy by default**: only the names below are ever read;
prompt text, responses, tool inputs and raw bodies are never stored whatever a client sends (`CONTENT_ATTRIBUTES`
are dropped by the collector too). Length attributes are kept only with `CCSTREAM_EVENTS_KEEP_LENGTHS=1`.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Row kind of the event partials in `ClaudeCodeMetrics` (sort keys `…#E1M#<shard>#000`, MetricTypeIndex `TYPE#E1H`).
ROW_KIND = "E"
#: Prefix of the event body (`claude_code.api_request`) and of the event names `ccstream query` takes.
BODY_PREFIX = "claude_code."
QUERY_PREFIX = "events."

# ---- identity and common attributes (copied from the resource onto every event by the CLI) --------------------
USER_EMAIL = "user.email"
USER_ID = "user.id"
SESSION_ID = "session.id"
TEAM = "team.id"
DEPARTMENT = "department"
ORGANIZATION = "organization.id"
PROMPT_ID = "prompt.id"
EVENT_NAME = "event.name"
EVENT_SEQUENCE = "event.sequence"
EVENT_TIMESTAMP = "event.timestamp"

#: Identity fields: strings kept on every event (the lake's identity columns).
IDENTITY: tuple[str, ...] = (USER_EMAIL, USER_ID, SESSION_ID, TEAM, DEPARTMENT, ORGANIZATION, PROMPT_ID)

#: Metadata strings kept (aggregation dimensions and lake columns). Anything else is never read.
LABELS: tuple[str, ...] = (
    "model",
    "query_source",
    "agent.name",
    "agent_type",
    "effort",
    "speed",
    "decision",
    "source",
    "tool_name",
    "tool_source",
    "permission_mode",
    "trigger",
    "terminal.type",
    "anthropic.provider",
)

#: Integer fields kept (numbers, numbers sent as strings, integral doubles).
NUMBERS: tuple[str, ...] = (
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_creation_tokens",
    "cache_creation_5m_tokens",
    "cache_creation_1h_tokens",
    "cost_usd_micros",
    "duration_ms",
    "ttft_ms",
    "status_code",
    "attempt",
    "total_attempts",
    "total_retry_duration_ms",
    "pre_tokens",
    "post_tokens",
    "total_tokens",
    "total_tool_uses",
)
#: Lengths of content, kept only with the keep-lengths switch (never the content itself).
LENGTHS: tuple[str, ...] = ("prompt_length", "response_length", "tool_input_size_bytes", "tool_result_size_bytes")
#: Booleans (sent as bools or as "true"/"false").
FLAGS: tuple[str, ...] = ("success",)

#: Attributes that carry content: never read by ccstream, deleted by the collector's `attributes/events_privacy`
#: processor before they reach CloudWatch Logs (collector/config.yaml).
CONTENT_ATTRIBUTES: tuple[str, ...] = (
    "prompt",
    "prompt_text",
    "response",
    "tool_input",
    "tool_parameters",
    "tool_output",
    "tool_result",
    "body",
    "request_body",
    "response_body",
    "raw_body",
    "raw_request",
    "raw_response",
    "messages",
    "system_prompt",
)

#: Largest value a kept number may have (a token count or a duration beyond it is a bad value, not a count).
MAX_NUMBER = 10**15

# ---- event names ------------------------------------------------------------------------------------------
USER_PROMPT = "user_prompt"
API_REQUEST = "api_request"
API_ERROR = "api_error"
API_RETRIES_EXHAUSTED = "api_retries_exhausted"
TOOL_DECISION = "tool_decision"
TOOL_RESULT = "tool_result"
COMPACTION = "compaction"
SUBAGENT_COMPLETED = "subagent_completed"

#: The pseudo-dimension of the person: `user.email`, else `user.id` (as the metrics' `--by user.email`).
USER = "user"
OTHER = "__other__"


@dataclass(frozen=True)
class Family:
    """One aggregate of one event kind: its grouping attributes and its integer fields (summed per group).

    `count` is the name of the field that counts events. `sketched` fields also get a distribution sketch per
    value of `sketch_by` (`consumers/aggregates/sketch.py`)."""

    name: str
    event: str
    by: tuple[str, ...]
    fields: tuple[str, ...]
    count: str
    sketched: tuple[str, ...] = ()
    sketch_by: tuple[str, ...] = ()


API_TOKENS = (
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_creation_tokens",
    "cache_creation_5m_tokens",
    "cache_creation_1h_tokens",
)

FAMILIES: tuple[Family, ...] = (
    Family(
        "api",
        API_REQUEST,
        ("model", "query_source", "agent.name", "effort", TEAM),
        ("requests", *API_TOKENS, "cost_usd_micros", "duration_ms", "ttft_ms"),
        "requests",
        sketched=("duration_ms", "ttft_ms"),
        sketch_by=("model",),
    ),
    Family("api_user", API_REQUEST, (USER, TEAM), ("requests", *API_TOKENS, "cost_usd_micros"), "requests"),
    Family("error", API_ERROR, ("model", "status_code"), ("errors", "attempt", "duration_ms"), "errors"),
    Family(
        "exhausted",
        API_RETRIES_EXHAUSTED,
        ("model", "status_code"),
        ("exhausted", "total_attempts", "total_retry_duration_ms"),
        "exhausted",
    ),
    Family(
        "tool_decision",
        TOOL_DECISION,
        ("tool_name", "decision", "source", "permission_mode"),
        ("decisions",),
        "decisions",
    ),
    Family(
        "tool_result",
        TOOL_RESULT,
        ("tool_name",),
        ("results", "successes", "failures", "duration_ms"),
        "results",
        sketched=("duration_ms",),
        sketch_by=("tool_name",),
    ),
    Family(
        "compaction",
        COMPACTION,
        ("trigger", "success"),
        ("compactions", "duration_ms", "pre_tokens", "post_tokens"),
        "compactions",
    ),
    Family(
        "subagent",
        SUBAGENT_COMPLETED,
        ("agent_type", "model"),
        ("runs", "total_tokens", "total_tool_uses", "duration_ms"),
        "runs",
    ),
    Family("prompt", USER_PROMPT, (USER, TEAM), ("prompts",), "prompts"),
    Family("prompt_session", USER_PROMPT, (USER, SESSION_ID), ("prompts",), "prompts"),
)
FAMILY_BY_NAME = {f.name: f for f in FAMILIES}
#: Event names that are aggregated (others are still decoded, counted and kept in the lake).
AGGREGATED_EVENTS = frozenset(f.event for f in FAMILIES)
