"""The dated model price table (`prices.json`), matched on model id with Bedrock prefixes stripped.

`price_per_token(model, token_type)` gives USD per token for a `claude_code.token.usage` data point, or None when
the model is not in the table (the caller counts it as unpriced rather than guessing).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

#: token.usage `type` → price column
TOKEN_TYPE_COLUMN = {
    "input": "input",
    "output": "output",
    "cacheRead": "cache_read",
    "cacheCreation": "cache_write_5m",
}


@dataclass(frozen=True, eq=False)
class PriceFamily:
    family: str
    pattern: re.Pattern[str]
    per_million: dict[str, float]


@dataclass(frozen=True, eq=False)
class PriceTable:
    effective_date: str
    strip_prefixes: tuple[str, ...]
    families: tuple[PriceFamily, ...]

    def family_of(self, model: str) -> PriceFamily | None:
        return _family_of(self, model)

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


@cache
def load_prices() -> PriceTable:
    doc = json.loads(resources.files("schemas").joinpath("prices.json").read_text())
    fams = tuple(
        PriceFamily(
            f["family"],
            re.compile(f["pattern"]),
            {k: float(f[k]) for k in ("input", "cache_write_5m", "cache_write_1h", "cache_read", "output")},
        )
        for f in doc["families"]
    )
    return PriceTable(doc["effective_date"], tuple(doc["strip_prefixes"]), fams)
