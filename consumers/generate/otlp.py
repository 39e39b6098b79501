"""The simulator's exports as the OTLP/HTTP JSON the Claude Code CLI sends (`ExportMetricsServiceRequest`).

One request per CLI process (a simulated session) per export interval (60 s), carrying only the series that
changed, as the delta-temporality periodic reader of the CLI does (facts: shared/reference/real-telemetry.md §2):

- resource: the `OTEL_RESOURCE_ATTRIBUTES` keys of the user's machine first (department, team.id, cost_center …),
  then `service.name=claude-code`, `service.version`, `os.type`, `os.version`, `host.arch`;
- scope `com.anthropic.claude_code` (version = the CLI version); 8 monotonic Sums, `aggregationTemporality` 1
  (delta), every value `asDouble`, units `""` / `USD` / `tokens` / `s`; start time = the previous export;
- every point: the resource's custom keys again, `user.id` (64 hex, a device id), `session.id`,
  `anthropic.provider`, `anthropic.custom_base_url` (a bool), `terminal.type`; OAuth users also `user.email`,
  `organization.id`, `user.account_uuid`, `user.account_id`. API-key users (the population's users without an
  e-mail) have none of those four and reach the API through a gateway (`anthropic.custom_base_url=true`);
- metric attributes: `model`, `type`, `query_source` (`main` for the main model, `auxiliary` for the background
  model), `start_type`, `decision`/`source`/`tool_name`/`language`.

Times are decimal strings of nanoseconds (the protobuf JSON mapping of fixed64).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import msgspec

from consumers.generate.exports import Export
from consumers.generate.population import BACKGROUND_MODELS, UserProfile
from schemas import catalogue as cat

SCOPE_NAME = cat.METER
EXPORT_INTERVAL_MS = 60_000
DELTA = 1  # AggregationTemporality.DELTA
NS_PER_MS = 1_000_000

#: Resource keys the CLI itself sets (after the OTEL_RESOURCE_ATTRIBUTES keys).
SDK_RESOURCE_KEYS = ("service.name", "service.version", "os.type", "os.version", "host.arch")
#: Population labels that are not OTEL_RESOURCE_ATTRIBUTES: the CLI sets them (or, for OAuth, the login does).
_CLI_KEYS = frozenset(
    {*SDK_RESOURCE_KEYS, "user.id", "user.email", "user.account_uuid", "organization.id", "session.id", "terminal.type"}
)
OAUTH_KEYS = ("organization.id", "user.email", "user.account_uuid", "user.account_id")

#: Metric name → (unit as sent, description).
METRIC_UNITS: dict[str, tuple[str, str]] = {
    cat.SESSION_COUNT: ("", "Count of CLI sessions started"),
    cat.LINES_OF_CODE: ("", "Count of lines of code modified"),
    cat.PULL_REQUESTS: ("", "Number of pull requests created"),
    cat.COMMITS: ("", "Number of git commits created"),
    cat.COST_USAGE: ("USD", "Cost of the Claude Code session"),
    cat.TOKEN_USAGE: ("tokens", "Number of tokens used"),
    cat.CODE_EDIT_DECISION: ("", "Count of code editing tool permission decisions"),
    cat.ACTIVE_TIME: ("s", "Total active time in seconds"),
}
_BACKGROUND = frozenset(name for name, _ in BACKGROUND_MODELS)
_QUERY_SOURCE_METRICS = frozenset({cat.COST_USAGE, cat.TOKEN_USAGE})

AttrValue = str | bool


@dataclass(frozen=True)
class Identity:
    """Who a CLI process says it is: OAuth (claude.ai login, with e-mail) or an API key (device id only)."""

    device_id: str  # `user.id`
    oauth: dict[str, str]  # the four OAuth keys, empty for API-key users
    custom_base_url: bool
    provider: str = "firstParty"

    @property
    def is_oauth(self) -> bool:
        return bool(self.oauth)


def identity_of(user: UserProfile) -> Identity:
    """Deterministic identity of a simulated user; users without an e-mail use an API key through a gateway."""
    labels = user.labels
    device_id = hashlib.sha256(f"claude-code-device:{labels['user.id']}".encode()).hexdigest()
    if user.email is None:
        return Identity(device_id, {}, custom_base_url=True)
    account = hashlib.sha256(f"account:{labels['user.account_uuid']}".encode()).hexdigest()
    oauth = {
        "organization.id": labels["organization.id"],
        "user.email": user.email,
        "user.account_uuid": labels["user.account_uuid"],
        "user.account_id": f"user_{account[:24]}",
    }
    return Identity(device_id, oauth, custom_base_url=False)


def custom_resource_attributes(user: UserProfile) -> dict[str, str]:
    """The user's `OTEL_RESOURCE_ATTRIBUTES` (in population order)."""
    return {k: v for k, v in user.labels.items() if k not in _CLI_KEYS}


def resource_attributes(user: UserProfile) -> dict[str, str]:
    """The OTLP resource: custom keys first, then what the CLI's SDK detects."""
    return {**custom_resource_attributes(user), **{k: user.labels[k] for k in SDK_RESOURCE_KEYS}}


def common_point_attributes(export: Export) -> dict[str, AttrValue]:
    """Attributes the CLI puts on every point of this process."""
    user = export.user
    ident = identity_of(user)
    attrs: dict[str, AttrValue] = dict(custom_resource_attributes(user))
    attrs["user.id"] = ident.device_id
    attrs["session.id"] = export.labels.labels["session.id"]
    attrs.update(ident.oauth)
    attrs["terminal.type"] = export.labels.labels["terminal.type"]
    attrs["anthropic.provider"] = ident.provider
    attrs["anthropic.custom_base_url"] = ident.custom_base_url
    return attrs


def metric_attributes(metric: str, series: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """The metric's own attributes for one simulator series."""
    attrs = dict(series)
    if metric in _QUERY_SOURCE_METRICS and "model" in attrs:
        attrs["query_source"] = "auxiliary" if attrs["model"] in _BACKGROUND else "main"
    return attrs


@dataclass(frozen=True, slots=True)
class OtlpPoint:
    """One data point, flattened: all its attributes (common + metric), resource and value."""

    timestamp_ms: int
    metric: str
    value: float
    attributes: dict[str, AttrValue]
    resource: dict[str, str]


def points_of(export: Export) -> list[OtlpPoint]:
    """The export's data points, in the order the request carries them (metrics, then series)."""
    common = common_point_attributes(export)
    resource = resource_attributes(export.user)
    out = []
    for metric in METRIC_UNITS:
        for series, values in export.series.items():
            if metric in values:
                attrs = {**common, **metric_attributes(metric, series)}
                out.append(OtlpPoint(export.timestamp_ms, metric, float(values[metric]), attrs, resource))
    return out


def _any_value(value: AttrValue) -> dict[str, object]:
    return {"boolValue": value} if isinstance(value, bool) else {"stringValue": value}


def _key_values(attrs: dict[str, AttrValue] | dict[str, str]) -> list[dict[str, object]]:
    return [{"key": k, "value": _any_value(v)} for k, v in attrs.items()]


def request_of(export: Export) -> dict[str, object]:
    """The `ExportMetricsServiceRequest` (JSON mapping) the CLI process sends for this export."""
    end_ns = str(export.timestamp_ms * NS_PER_MS)
    start_ns = str((export.timestamp_ms - EXPORT_INTERVAL_MS) * NS_PER_MS)
    by_metric: dict[str, list[dict[str, object]]] = {}
    for point in points_of(export):
        by_metric.setdefault(point.metric, []).append(
            {
                "attributes": _key_values(point.attributes),
                "startTimeUnixNano": start_ns,
                "timeUnixNano": end_ns,
                "asDouble": point.value,
            }
        )
    metrics = [
        {
            "name": name,
            "description": METRIC_UNITS[name][1],
            "unit": METRIC_UNITS[name][0],
            "sum": {"dataPoints": points, "aggregationTemporality": DELTA, "isMonotonic": True},
        }
        for name, points in by_metric.items()
    ]
    version = export.user.labels["service.version"]
    return {
        "resourceMetrics": [
            {
                "resource": {"attributes": _key_values(resource_attributes(export.user))},
                "scopeMetrics": [{"scope": {"name": SCOPE_NAME, "version": version}, "metrics": metrics}],
            }
        ]
    }


_encode = msgspec.json.Encoder().encode


def encode_request(export: Export) -> bytes:
    """The request body, compact JSON."""
    return _encode(request_of(export))


def requests_of(exports: Iterable[Export]) -> Iterator[bytes]:
    """One body per export that has any series (an interval without change sends nothing)."""
    for export in exports:
        if export.series:
            yield encode_request(export)


def point_count(body: bytes) -> int:
    """Data points in one encoded request."""
    doc = msgspec.json.decode(body)
    return sum(
        len(m["sum"]["dataPoints"]) for rm in doc["resourceMetrics"] for sm in rm["scopeMetrics"] for m in sm["metrics"]
    )
