"""The dashboard's configuration file: monthly budgets per org, team, group and user, and per-model quotas.

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
from consumers.spend.runaway import RunawaySettings
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


class ScopeLimit(Limit, forbid_unknown_fields=True, frozen=True):
    """A budget for a set of developers: the set's own monthly total, and optionally a `per_user` default for each
    member. Team members are known from telemetry (`team.id`) for the set's total; `members` (e-mails or user.ids)
    says who the `per_user` default applies to, and who makes up a group. A developer's identity groups (OIDC)
    also count as group membership where the caller knows them (the budget status endpoint)."""

    members: tuple[str, ...] = ()
    per_user: Limit | None = None


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
    org: ScopeLimit | None = None
    teams: dict[str, ScopeLimit] = msgspec.field(default_factory=dict)
    groups: dict[str, ScopeLimit] = msgspec.field(default_factory=dict)
    users: dict[str, Limit] = msgspec.field(default_factory=dict)
    default_user: Limit | None = None
    #: deny a developer (budget status endpoint) when the most specific set budget containing them is spent too
    enforce_set_budgets: bool = False
    #: alert once per budget and month when even the forecast band's low end is over the limit
    forecast_alerts: bool = True
    runaway: RunawaySettings = msgspec.field(default_factory=RunawaySettings)
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
        return bool(self.org or self.teams or self.groups or self.users or self.default_user)

    @property
    def has_per_user_default(self) -> bool:
        sets = [*self.teams.values(), *self.groups.values(), *([self.org] if self.org else [])]
        return self.default_user is not None or any(getattr(s, "per_user", None) is not None for s in sets)

    def sets_of(self, user: str, groups: tuple[str, ...] = ()) -> list[tuple[str, str, ScopeLimit]]:
        """The budgets of sets containing `user`, most specific first: groups, then teams, then the org."""
        out: list[tuple[str, str, ScopeLimit]] = [
            ("group", name, g) for name, g in self.groups.items() if user in _members(g) or name in groups
        ]
        out += [("team", name, t) for name, t in self.teams.items() if user in _members(t)]
        if self.org is not None:
            out.append(("org", "org", self.org))
        return out

    def quota_for(self, model: str) -> ModelQuota | None:
        return next((q for q in self.model_quotas if q.matches(model)), None)

    def user_limit(self, user: str, groups: tuple[str, ...] = ()) -> Limit | None:
        return self.user_limit_from(user, groups)[0]

    def user_limit_from(self, user: str, groups: tuple[str, ...] = ()) -> tuple[Limit | None, str]:
        """A developer's own monthly limit, most specific first: their own entry, a group's or team's
        `per_user`, the org's `per_user`, `default_user`; and where it came from."""
        own = self.users.get(user)
        if own is not None:
            return own, "user"
        for scope, name, limit in self.sets_of(user, groups):
            per_user = getattr(limit, "per_user", None)
            if per_user is not None:
                return per_user, f"{scope} {name}" if scope != "org" else "org"
        return self.default_user, "default_user" if self.default_user else ""


def _members(limit: Limit) -> tuple[str, ...]:
    return getattr(limit, "members", ())  # a plain Limit (built in code) has none


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
