"""Derived cost metrics: `token.usage` priced per token type with the effective rate card (`schemas/ratecard.py`).

Claude Code's own `cost.usage` is kept as sent; the priced figure is a second, independent estimate so a large
mismatch (e.g. a wrong price profile, or cache reads billed as input) can be flagged by queries. `Pricer` is the one
place tokens are priced: per user line by line (`FineBatch.fold`) and per signature at the roll-up (`RowBook`).
A `PriceTable` given to it is wrapped in the `RateCard` of the process's pricing overrides (`$CCSTREAM_PRICING`),
so the stored `ccstream.token_cost.usd` is what the customer's configuration says a token costs; without overrides
that is the list price (the card's default channel).
"""

from __future__ import annotations

from typing import Protocol

from consumers.aggregates.dimensions import Signature, model_and_type
from schemas.prices import PriceTable
from schemas.ratecard import RateCard, overrides_from_env

#: USD computed from token.usage × the effective price of (model, token type).
PRICED_COST = "ccstream.token_cost.usd"
#: token.usage of models that the rate card cannot price (priced as nothing, counted here instead).
UNPRICED_TOKENS = "ccstream.unpriced_tokens"

DERIVED_METRICS = (PRICED_COST, UNPRICED_TOKENS)
#: Cached prices are dropped when the cache grows past this many signatures.
_CACHE_LIMIT = 100_000


class Prices(Protocol):
    def price_per_token(self, model: str, token_type: str) -> float | None: ...


def effective_prices(table: Prices) -> Prices:
    """A plain `PriceTable` becomes the rate card with this process's overrides; anything else is used as given."""
    if type(table) is PriceTable:  # a subclass with its own price_per_token (tests) is used as given
        overrides, source = overrides_from_env()
        return RateCard(table, overrides, source)
    return table


class Pricer:
    """Prices token usage per signature (model and token type), caching each signature's price."""

    def __init__(self, table: Prices) -> None:
        self.table = effective_prices(table)
        self._prices: dict[Signature, float | None] = {}

    def price_of(self, sig: Signature) -> float | None:
        """USD per token of a signature's (model, token type), or None when the rate card has no price."""
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
