"""CUR 2.0 (AWS Data Exports, table `COST_AND_USAGE_REPORT`): the columns we read and Bedrock's usage types.

Column names are the data dictionary's: `line_item_usage_start_date` (timestamp), `line_item_line_item_type`
(Usage, Credit, Tax, …), `line_item_product_code` / `product_servicecode`, `line_item_usage_type` (region, model
and token direction, e.g. `USE1-Claude4.6Sonnet-input-tokens`, `…-cache-read-input-token-count`,
`…-cache-write-input-token-count`), `line_item_resource_id` (the model or inference profile ARN when the export
includes resources), `line_item_usage_amount`, `line_item_unblended_cost`, `line_item_net_unblended_cost`,
`line_item_iam_principal` (the caller, when the export includes caller identity: IAM user ARN, or
`…:assumed-role/<role>/<session name>`), `resource_tags` (map of cost allocation tags, `user_<key>` for
user-defined tags).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from consumers.spend.months import Month

PRINCIPAL = "line_item_iam_principal"
USAGE_TYPE = "line_item_usage_type"
RESOURCE_ID = "line_item_resource_id"
USAGE_AMOUNT = "line_item_usage_amount"
UNBLENDED = "line_item_unblended_cost"
NET_UNBLENDED = "line_item_net_unblended_cost"
LINE_TYPE = "line_item_line_item_type"
USAGE_START = "line_item_usage_start_date"
PRODUCT_CODE = "line_item_product_code"
SERVICE_CODE = "product_servicecode"
TAGS = "resource_tags"
COST_COLUMNS = (UNBLENDED, NET_UNBLENDED)

#: The line-item types that are usage (credits, refunds, taxes and fees are not anyone's tokens).
USAGE_LINE_TYPES = ("Usage", "DiscountedUsage", "SavingsPlanCoveredUsage")

_MODEL = re.compile(r"claude[-_.]?(\d+(?:[-._]\d+)?)[-_.]?(opus|sonnet|haiku)", re.IGNORECASE)
_MODEL_NEW = re.compile(r"claude[-_.]?(opus|sonnet|haiku)[-_.]?(\d+)(?:[-_.](\d)(?!\d))?", re.IGNORECASE)
_DIRECTIONS = (
    ("cache-read", "cacheRead"),
    ("cache-write", "cacheCreation"),
    ("input", "input"),
    ("output", "output"),
)


def _tag_sql(key: str) -> str:
    quoted = key.replace("'", "''")
    return f"element_at({TAGS}, '{quoted}')"


def _timestamp(ms: int) -> str:
    return "TIMESTAMP '" + datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S") + "'"


def bedrock_lines_sql(table: str, month: Month, cost_column: str, tag_keys: tuple[str, ...]) -> str:
    """Trino SQL: the month's Claude usage lines summed per (principal, usage type, resource, tags)."""
    if cost_column not in COST_COLUMNS:
        raise ValueError(f"cost column must be one of {', '.join(COST_COLUMNS)}")
    start, end = _timestamp(month.start_ms), _timestamp(month.end_ms)
    tags = "".join(f", {_tag_sql(k)} AS tag_{i}" for i, k in enumerate(tag_keys))
    group = ", ".join(str(i) for i in range(1, 4 + len(tag_keys)))
    types = ", ".join(f"'{t}'" for t in USAGE_LINE_TYPES)
    return (
        f"SELECT {PRINCIPAL} AS principal, {USAGE_TYPE} AS usage_type, {RESOURCE_ID} AS resource_id{tags},\n"
        f"       SUM({USAGE_AMOUNT}) AS usage_amount, SUM({cost_column}) AS cost\n"
        f"FROM {table}\n"
        f"WHERE {LINE_TYPE} IN ({types})\n"
        f"  AND lower({USAGE_TYPE}) LIKE '%claude%'\n"
        f"  AND {USAGE_START} >= {start} AND {USAGE_START} < {end}\n"
        f"GROUP BY {group}"
    )


def model_key(text: str) -> str | None:
    """A model's family and version, the same from a usage type and from a telemetry id: `sonnet-4.6`.

    `USE1-Claude4.6Sonnet-input-tokens` → `sonnet-4.6`; `us.anthropic.claude-sonnet-4-5-20250929-v1:0` →
    `sonnet-4.5`; `claude-3-5-haiku-20241022` → `haiku-3.5`; `claude-opus-4-20250514` → `opus-4`."""
    m = _MODEL_NEW.search(text)
    if m:
        return f"{m.group(1).lower()}-{m.group(2)}" + (f".{m.group(3)}" if m.group(3) else "")
    m = _MODEL.search(text)
    if m:
        version = re.sub(r"[-._]", ".", m.group(1))
        if "." not in version and len(version) == 2:  # "35" as in Claude35Haiku
            version = f"{version[0]}.{version[1]}"
        return f"{m.group(2).lower()}-{version}"
    return None


def token_type(usage_type: str) -> str | None:
    lowered = usage_type.lower()
    return next((t for marker, t in _DIRECTIONS if marker in lowered), None)


@dataclass(frozen=True)
class CurLine:
    principal: str
    usage_type: str
    resource_id: str
    tags: dict[str, str]
    usage_amount: float
    cost: float

    @property
    def model(self) -> str:
        return model_key(self.usage_type) or "unknown"
