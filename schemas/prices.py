"""The dated model rate card (`prices.json`): list prices per model family and token type, and Bedrock's rule.

`PriceTable.price_per_token(model, token_type)` is the Anthropic API list price of a `claude_code.token.usage`
data point (Bedrock prefixes stripped), or None when no family matches: the caller counts such tokens as unpriced
rather than guessing. What a customer is billed (Bedrock endpoint premium, negotiated rates, the 5 m / 1 h cache
write split) is `schemas.ratecard.RateCard`, which builds on this table.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

#: token.usage `type` → price column (cacheCreation is split between the two cache-write columns by the rate card)
TOKEN_TYPE_COLUMN = {
    "input": "input",
    "output": "output",
    "cacheRead": "cache_read",
    "cacheCreation": "cache_write_5m",
}
PRICE_COLUMNS = ("input", "cache_write_5m", "cache_write_1h", "cache_read", "output")


@dataclass(frozen=True, eq=False)
class PriceFamily:
    family: str
    pattern: re.Pattern[str]
    per_million: dict[str, float]
    #: Bedrock charges geographic and in-Region endpoints of this family more than global ones.
    regional_premium: bool = False


@dataclass(frozen=True)
class BedrockRule:
    """How a Bedrock model id's prefix selects the endpoint kind, and the premium of non-global endpoints."""

    global_prefixes: tuple[str, ...] = ("global.",)
    geo_prefixes: tuple[str, ...] = ()
    regional_prefixes: tuple[str, ...] = ("anthropic.",)
    regional_premium: float = 0.0


@dataclass(frozen=True, eq=False)
class PriceTable:
    effective_date: str
    strip_prefixes: tuple[str, ...]
    families: tuple[PriceFamily, ...]
    version: str = ""
    source: str = ""
    cache_write_1h_share: float = 0.0
    bedrock: BedrockRule = BedrockRule()

    def family_of(self, model: str) -> PriceFamily | None:
        return _family_of(self, model)

    def family_named(self, name: str) -> PriceFamily | None:
        return next((f for f in self.families if f.family == name), None)

    def price_per_token(self, model: str, token_type: str) -> float | None:
        column = TOKEN_TYPE_COLUMN.get(token_type)
        fam = self.family_of(model)
        if column is None or fam is None:
            return None
        return fam.per_million[column] / 1_000_000


def normalise_model(model: str, prefixes: tuple[str, ...]) -> str:
    m = model.strip().lower()
    changed = True
    while changed:
        changed = False
        for p in prefixes:
            if m.startswith(p):
                m = m[len(p) :]
                changed = True
    return m


@cache
def _family_of(table: PriceTable, model: str) -> PriceFamily | None:
    m = normalise_model(model, table.strip_prefixes)
    for fam in table.families:
        if fam.pattern.search(m):
            return fam
    return None


def parse_prices(doc: dict[str, Any]) -> PriceTable:
    fams = tuple(
        PriceFamily(
            f["family"],
            re.compile(f["pattern"]),
            {k: float(f[k]) for k in PRICE_COLUMNS},
            bool(f.get("bedrock_regional_premium", False)),
        )
        for f in doc["families"]
    )
    b = doc.get("bedrock") or {}
    rule = BedrockRule(
        tuple(b.get("global_prefixes", ("global.",))),
        tuple(b.get("geo_prefixes", ())),
        tuple(b.get("regional_prefixes", ("anthropic.",))),
        float(b.get("regional_premium", 0.0)),
    )
    return PriceTable(
        doc["effective_date"],
        tuple(doc["strip_prefixes"]),
        fams,
        str(doc.get("version", doc["effective_date"])),
        str(doc.get("source", "")),
        float(doc.get("cache_write_1h_share", 0.0)),
        rule,
    )


@cache
def load_prices(path: str | None = None) -> PriceTable:
    """The packaged rate card, or the one at `path` (a newer dated card a customer keeps next to its config)."""
    text = Path(path).read_text() if path else resources.files("schemas").joinpath("prices.json").read_text()
    return parse_prices(json.loads(text))
