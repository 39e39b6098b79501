"""What a token costs the customer: the dated rate card (`prices.json`) plus the customer's overrides.

The effective price of a `claude_code.token.usage` point of (model, type) is found in this order:
1. a `models` rule of the overrides whose shell pattern matches the model id (lower-cased): explicit `rates`
   (USD per million per column, taken as billed), or `family` (price the id as that family: application inference
   profile ARNs, new ids) with an optional `endpoint`;
2. else the family whose pattern matches the id (Bedrock prefixes and ARN paths stripped);
3. the family's list prices, or its `families` override (`rates`, or a `discount_pct`);
4. on Bedrock (`channel: auto` for Bedrock-shaped ids, `channel: bedrock` for every id) geographic (`us.`, `eu.`,
   `apac.` …) and in-Region (`anthropic.`) endpoints of families with a regional premium cost
   `1 + bedrock.regional_premium` × list; `global.` profiles cost list;
5. a discount (`discount_pct` of the model rule, else of the family override, else the global one);
6. cacheCreation tokens at `(1 - s) × 5 m rate + s × 1 h rate`, `s` = `cache_write_1h_share`.
No match at all gives None: the tokens are counted as unpriced, never as $0.

Overrides come from `$CCSTREAM_PRICING` (a YAML/JSON file, see `pricing.example.yaml`) or `$CCSTREAM_PRICING_JSON`
(the document itself, for Lambda and ECS). Every figure names its prices with `RateCard.card_id`
(`<version>` or `<version>+<sha256 of the overrides, 8 hex>`) and `RateCard.provenance()`.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

import msgspec
import yaml

from schemas.prices import PRICE_COLUMNS, TOKEN_TYPE_COLUMN, PriceFamily, PriceTable, load_prices, normalise_model

PRICING_PATH_ENV = "CCSTREAM_PRICING"
PRICING_INLINE_ENV = "CCSTREAM_PRICING_JSON"

Channel = Literal["list", "auto", "bedrock"]
Endpoint = Literal["api", "global", "geo", "regional"]


class PricingError(ValueError):
    """The overrides document is not valid."""


def _check_pct(name: str, value: float | None) -> None:
    if value is not None and not 0 <= value < 100:
        raise ValueError(f"{name} must be between 0 and 100 (percent), got {value}")


def _check_rates(rates: dict[str, float] | None) -> None:
    if rates is None:
        return
    unknown = sorted(set(rates) - set(PRICE_COLUMNS))
    missing = sorted(set(PRICE_COLUMNS) - set(rates))
    if unknown or missing:
        raise ValueError(f"rates need exactly {', '.join(PRICE_COLUMNS)} (missing {missing}, unknown {unknown})")
    if any(v < 0 for v in rates.values()):
        raise ValueError("rates must not be negative")


class FamilyOverride(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A negotiated price for one family of the rate card: explicit `rates` or a `discount_pct` off list."""

    discount_pct: float | None = None
    rates: dict[str, float] | None = None

    def __post_init__(self) -> None:
        _check_pct("discount_pct", self.discount_pct)
        _check_rates(self.rates)


class ModelRule(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Prices the model ids matching `match` (shell pattern on the lower-cased id)."""

    match: str
    family: str | None = None
    endpoint: Endpoint | None = None
    rates: dict[str, float] | None = None
    discount_pct: float | None = None
    note: str = ""

    def __post_init__(self) -> None:
        _check_pct("discount_pct", self.discount_pct)
        _check_rates(self.rates)
        if (self.family is None) == (self.rates is None):
            raise ValueError(f"model rule {self.match!r}: give exactly one of family or rates")


class PricingOverrides(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    name: str = ""
    channel: Channel = "list"
    discount_pct: float = 0.0
    families: dict[str, FamilyOverride] = msgspec.field(default_factory=dict)
    models: tuple[ModelRule, ...] = ()
    cache_write_1h_share: float | None = None
    rate_card: str | None = None  # path of another dated rate card (same format as schemas/prices.json)

    def __post_init__(self) -> None:
        _check_pct("discount_pct", self.discount_pct)
        if self.cache_write_1h_share is not None and not 0 <= self.cache_write_1h_share <= 1:
            raise ValueError("cache_write_1h_share is a fraction between 0 and 1")

    @property
    def is_default(self) -> bool:
        return self == PricingOverrides()

    def digest(self) -> str:
        canonical = json.dumps(msgspec.to_builtins(self), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:8]


def parse_overrides(document: object, source: str) -> PricingOverrides:
    if document is None:
        return PricingOverrides()
    try:
        return msgspec.convert(document, PricingOverrides)
    except (msgspec.ValidationError, ValueError) as exc:
        raise PricingError(f"{source}: {exc} (see pricing.example.yaml)") from None


def overrides_from_env() -> tuple[PricingOverrides, str]:
    """(overrides, where they came from) — `$CCSTREAM_PRICING` (file), else `$CCSTREAM_PRICING_JSON`, else none."""
    path = os.environ.get(PRICING_PATH_ENV, "").strip()
    if path:
        file = Path(path)
        if not file.is_file():
            raise PricingError(f"${PRICING_PATH_ENV}: {file} not found (copy pricing.example.yaml to start)")
        return parse_overrides(yaml.safe_load(file.read_text(encoding="utf-8")), str(file)), str(file)
    inline = os.environ.get(PRICING_INLINE_ENV, "").strip()
    if inline:
        return parse_overrides(yaml.safe_load(inline), f"${PRICING_INLINE_ENV}"), f"${PRICING_INLINE_ENV}"
    return PricingOverrides(), ""


def endpoint_of(model: str, table: PriceTable) -> tuple[Endpoint, str]:
    """(endpoint kind, the id without ARN path) of a model id as Claude Code reports it."""
    m = model.strip().lower()
    if m.startswith("arn:"):
        m = m.rsplit("/", 1)[-1]
    rule = table.bedrock
    if m.startswith(rule.global_prefixes):
        return "global", m
    if m.startswith(rule.geo_prefixes):
        return "geo", m
    if m.startswith(rule.regional_prefixes):
        return "regional", m
    return "api", m


@dataclass(frozen=True)
class Quote:
    """Effective USD per million tokens of one model id, per price column, and how they were found."""

    model: str
    family: str | None
    endpoint: Endpoint
    per_million: dict[str, float]
    basis: str  # "list", "list+premium", "family override", "model rule", …

    def per_token(self, token_type: str, cache_1h_share: float) -> float | None:
        if token_type == "cacheCreation":
            s = cache_1h_share
            return ((1 - s) * self.per_million["cache_write_5m"] + s * self.per_million["cache_write_1h"]) / 1e6
        column = TOKEN_TYPE_COLUMN.get(token_type)
        return None if column is None else self.per_million[column] / 1e6


@dataclass(frozen=True, eq=False)
class RateCard:
    table: PriceTable
    overrides: PricingOverrides = field(default_factory=PricingOverrides)
    overrides_source: str = ""

    @property
    def cache_1h_share(self) -> float:
        s = self.overrides.cache_write_1h_share
        return self.table.cache_write_1h_share if s is None else s

    @property
    def card_id(self) -> str:
        version = self.table.version or self.table.effective_date
        return version if self.overrides.is_default else f"{version}+{self.overrides.digest()}"

    def provenance(self) -> dict[str, object]:
        """What produced a cost figure: the card's version and date, the overrides, the cache-write assumption."""
        o = self.overrides
        named = {"name": o.name, "sha256_8": o.digest(), "from": self.overrides_source}
        configured = o.cache_write_1h_share is not None
        return {
            "rate_card": self.card_id,
            "version": self.table.version,
            "effective_date": self.table.effective_date,
            "channel": o.channel,
            "overrides": None if o.is_default else named,
            "cache_write_1h_share": self.cache_1h_share,
            "cache_write_split": "assumption (configured)" if configured else "assumption (rate card default)",
        }

    def describe(self) -> str:
        p = self.provenance()
        extra = f" + overrides {self.overrides.name or ''} ({self.overrides.digest()})" if p["overrides"] else ""
        return (
            f"rate card {self.table.version} (effective {self.table.effective_date}){extra}, channel {p['channel']}, "
            f"cache writes {self.cache_1h_share:.0%} at the 1 h rate (assumption)"
        )

    def quote(self, model: str) -> Quote | None:
        return _quote(self, model)

    def price_per_token(self, model: str, token_type: str) -> float | None:
        q = _quote(self, model)
        return None if q is None else q.per_token(token_type, self.cache_1h_share)


def _rule_for(card: RateCard, model: str) -> ModelRule | None:
    m = model.strip().lower()
    return next((r for r in card.overrides.models if fnmatch.fnmatchcase(m, r.match.lower())), None)


@lru_cache(maxsize=8192)  # bounded: model ids come from clients
def _quote(card: RateCard, model: str) -> Quote | None:
    table = card.table
    endpoint, bare = endpoint_of(model, table)
    rule = _rule_for(card, model)
    if rule is not None and rule.family is not None:
        fam = table.family_named(rule.family)
        if fam is None:
            raise PricingError(f"model rule {rule.match!r}: no family {rule.family!r} in rate card {table.version}")
    elif rule is None:
        fam = table.family_of(normalise_model(bare, table.strip_prefixes))
        if fam is None:
            return None
    else:
        fam = None
    return quote_for(card, model, fam, endpoint, rule)


def quote_for(card: RateCard, model: str, fam: PriceFamily | None, endpoint: Endpoint, rule: ModelRule | None) -> Quote:
    """The effective prices of `fam` (or of the rule's explicit rates) at an endpoint kind."""
    o, table = card.overrides, card.table
    if rule is not None and rule.endpoint is not None:
        endpoint = rule.endpoint
    if o.channel == "bedrock" and endpoint == "api":
        endpoint = "regional"  # every call goes to Bedrock: a plain id is an in-Region model
    if rule is not None and rule.rates is not None:
        return Quote(model, rule.family, endpoint, dict(rule.rates), f"model rule {rule.match}")
    assert fam is not None
    fo = o.families.get(fam.family)
    if fo is not None and fo.rates is not None:
        return Quote(model, fam.family, endpoint, dict(fo.rates), f"family override {fam.family}")
    factor, basis = 1.0, "list"
    premium = table.bedrock.regional_premium
    if o.channel != "list" and endpoint in ("geo", "regional") and fam.regional_premium and premium:
        factor *= 1 + premium
        basis = f"list+{premium:.0%} bedrock {endpoint}"
    discount = next(
        (d for d in (rule.discount_pct if rule else None, fo.discount_pct if fo else None) if d is not None),
        o.discount_pct,
    )
    if discount:
        factor *= 1 - discount / 100
        basis += f" -{discount:g}%"
    return Quote(model, fam.family, endpoint, {k: v * factor for k, v in fam.per_million.items()}, basis)


def load_rate_card() -> RateCard:
    """The effective rate card: the packaged (or configured) dated card with the environment's overrides."""
    overrides, source = overrides_from_env()
    return RateCard(load_prices(overrides.rate_card), overrides, source)
