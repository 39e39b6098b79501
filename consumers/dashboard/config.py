"""The dashboard's configuration file: monthly budgets per team and per user, and per-model quotas.

YAML (or JSON) shaped like `budgets.example.yaml` at the repository root. Found, in this order, at `--budgets PATH`,
`$CCSTREAM_BUDGETS` (a path), or `$CCSTREAM_BUDGETS_JSON` (the document itself, for the Lambda functions). No file
means no budgets and no quotas: the widgets say so instead of failing.
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path
from typing import Any

import msgspec
import yaml

from consumers.aggregates.pricing import PRICED_COST
from consumers.errors import ConfigError
from schemas.catalogue import COST_USAGE

BUDGETS_PATH_ENV = "CCSTREAM_BUDGETS"
BUDGETS_INLINE_ENV = "CCSTREAM_BUDGETS_JSON"

#: `cost_source` → the metric that is spent against cost budgets.
COST_SOURCES = {"price_table": PRICED_COST, "claude_code": COST_USAGE}


class Limit(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Monthly limits of one team or user; either may be absent."""

    monthly_cost_usd: float | None = None
    monthly_tokens: float | None = None

    def __post_init__(self) -> None:
        for name in ("monthly_cost_usd", "monthly_tokens"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be positive, got {value}")


class ModelQuota(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Quota of the models whose id matches `match` (shell pattern, e.g. `*claude-sonnet-4-5*`).

    Bedrock counts input + cache writes + output × `output_burndown` against tokens per minute (cache reads do
    not count unless `count_cache_reads`); `rpm` is requests per minute.
    """

    match: str
    tpm: float | None = None
    rpm: float | None = None
    output_burndown: float = 1.0
    count_cache_reads: bool = False

    def matches(self, model: str) -> bool:
        return fnmatch.fnmatchcase(model, self.match)


class DashboardConfig(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    cost_source: str = "price_table"
    thresholds: tuple[int, ...] = (80, 90, 100)
    teams: dict[str, Limit] = msgspec.field(default_factory=dict)
    users: dict[str, Limit] = msgspec.field(default_factory=dict)
    default_user: Limit | None = None
    model_quotas: tuple[ModelQuota, ...] = ()
    source: str = ""

    def __post_init__(self) -> None:
        if self.cost_source not in COST_SOURCES:
            raise ValueError(f"cost_source must be one of {', '.join(COST_SOURCES)}, got {self.cost_source!r}")
        if any(not 0 < t <= 1000 for t in self.thresholds):
            raise ValueError("thresholds are percentages between 1 and 1000")

    @property
    def cost_metric(self) -> str:
        return COST_SOURCES[self.cost_source]

    @property
    def has_budgets(self) -> bool:
        return bool(self.teams or self.users or self.default_user)

    def quota_for(self, model: str) -> ModelQuota | None:
        return next((q for q in self.model_quotas if q.matches(model)), None)

    def user_limit(self, user: str) -> Limit | None:
        return self.users.get(user) or self.default_user


def parse_config(document: Any, source: str) -> DashboardConfig:
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ConfigError(f"{source}: expected a mapping at the top level (see budgets.example.yaml)")
    try:
        return msgspec.convert({**document, "source": source}, DashboardConfig)
    except (msgspec.ValidationError, ValueError) as exc:
        raise ConfigError(f"{source}: {exc} (see budgets.example.yaml for the format)") from None


def load_config(path: str | Path | None = None) -> DashboardConfig:
    """The configuration from `path`, else from the environment, else an empty one."""
    chosen = str(path) if path else os.environ.get(BUDGETS_PATH_ENV, "")
    if chosen:
        file = Path(chosen)
        if not file.is_file():
            raise ConfigError(
                f"budgets file {file} not found: pass --budgets PATH or set {BUDGETS_PATH_ENV} "
                f"(copy budgets.example.yaml to start)"
            )
        try:
            document = yaml.safe_load(file.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ConfigError(f"{file} is not valid YAML: {exc}") from None
        return parse_config(document, str(file))
    inline = os.environ.get(BUDGETS_INLINE_ENV, "").strip()
    if inline:
        try:
            document = yaml.safe_load(inline)  # JSON is YAML
        except yaml.YAMLError as exc:
            raise ConfigError(f"${BUDGETS_INLINE_ENV} is not valid JSON/YAML: {exc}") from None
        return parse_config(document, f"${BUDGETS_INLINE_ENV}")
    return DashboardConfig(source="")
