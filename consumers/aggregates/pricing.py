"""Derived cost metrics: `token.usage` priced per token type with the dated price table (`schemas/prices.json`).

Claude Code's own `cost.usage` is kept as sent; the priced figure is a second, independent estimate so a large
mismatch (e.g. a wrong price profile, or cache reads billed as input) can be flagged by queries. `Pricer` is the one
place tokens are priced: per user line by line (`FineBatch.fold`) and per signature at the roll-up (`RowBook`).
"""

from __future__ import annotations

from consumers.aggregates.dimensions import Signature, model_and_type
from schemas.prices import PriceTable

#: USD computed from token.usage × list price of (model family, token type).
PRICED_COST = "ccstream.token_cost.usd"
#: token.usage of models that are not in the price table (priced as nothing, counted here instead).
UNPRICED_TOKENS = "ccstream.unpriced_tokens"

DERIVED_METRICS = (PRICED_COST, UNPRICED_TOKENS)
#: Cached prices are dropped when the cache grows past this many signatures.
_CACHE_LIMIT = 100_000


class Pricer:
    """Prices token usage per signature (model and token type), caching each signature's price."""

    def __init__(self, table: PriceTable) -> None:
        self.table = table
        self._prices: dict[Signature, float | None] = {}

    def price_of(self, sig: Signature) -> float | None:
        """USD per token of a signature's (model, token type), or None when the price table has no price."""
        try:
            return self._prices[sig]
        except KeyError:
            if len(self._prices) > _CACHE_LIMIT:
                self._prices.clear()
            price = self._prices[sig] = self.table.price_per_token(*model_and_type(sig))
            return price

    def derive(self, sig: Signature, tokens: float) -> tuple[str, float]:
        """The derived (metric, value) of `tokens` of one signature: priced cost, or unpriced tokens."""
        price = self.price_of(sig)
        return (UNPRICED_TOKENS, tokens) if price is None else (PRICED_COST, tokens * price)
