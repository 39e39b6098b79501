"""Derived cost metrics: `token.usage` priced per token type with the dated price table (`schemas/prices.json`).

Claude Code's own `cost.usage` is kept as sent; the priced figure is a second, independent estimate so a large
mismatch (e.g. a wrong price profile, or cache reads billed as input) can be flagged by queries.
"""

from __future__ import annotations

from schemas.catalogue import TOKEN_USAGE
from schemas.prices import PriceTable

#: USD computed from token.usage × list price of (model family, token type).
PRICED_COST = "ccstream.token_cost.usd"
#: token.usage of models that are not in the price table (priced as nothing, counted here instead).
UNPRICED_TOKENS = "ccstream.unpriced_tokens"

DERIVED_METRICS = (PRICED_COST, UNPRICED_TOKENS)


def derived_values(
    table: PriceTable, metric: str, value: float, attributes: dict[str, str]
) -> tuple[str, float] | None:
    """The derived (metric, value) a data point adds, if any."""
    if metric != TOKEN_USAGE:
        return None
    price = table.price_per_token(attributes.get("model", ""), attributes.get("type", ""))
    if price is None:
        return (UNPRICED_TOKENS, value)
    return (PRICED_COST, value * price)
