"""Which prices produced a stored cost figure, checked rather than assumed; and the cache-write split seam.

The consumers store `ccstream.token_cost.usd` priced with the rate card of *their* environment. A reader (budgets,
export, `me`) names the card of *its* environment; `check_prices` makes that claim checkable: it re-prices the
window partials' token usage per (model, token type) with the reader's card and compares with the stored figure
over the same windows. Equal (to float noise): the stored figures were priced with this card. Different: the
consumers ran with other prices for some of the period (a changed override, a new card version) and the report
says by how much.

Cache writes: the metric's `cacheCreation` does not say 5 m or 1 h, so the card prices them with an assumed 1 h
share. `CacheWriteSplit` is the seam where a measured share comes in — Claude Code's `api_request` events carry
`cache_creation_5m/1h` tokens, which the events aggregates sum per window — and `split_correction` says what the
stored figures would change by with the measured share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from consumers.aggregates.partials import WindowPartial
from consumers.aggregates.pricing import PRICED_COST
from schemas.catalogue import TOKEN_USAGE
from schemas.ratecard import RateCard


@dataclass(frozen=True)
class PriceCheck:
    stored_usd: float
    repriced_usd: float
    unpriced_tokens: float

    @property
    def matches(self) -> bool:
        return abs(self.stored_usd - self.repriced_usd) <= max(1e-6, 1e-9 * abs(self.stored_usd))

    def to_json(self) -> dict[str, object]:
        return {
            "stored_usd": round(self.stored_usd, 6),
            "repriced_usd": round(self.repriced_usd, 6),
            "matches": self.matches,
            "unpriced_tokens": self.unpriced_tokens,
        }


def tokens_by_model_type(partial: WindowPartial) -> dict[tuple[str, str], float]:
    return {
        (model, typ): sums[TOKEN_USAGE]
        for (model, typ), sums in partial.group_by(("model", "type")).items()
        if TOKEN_USAGE in sums
    }


def check_prices(partial: WindowPartial, card: RateCard) -> PriceCheck:
    """Stored `ccstream.token_cost.usd` of `partial` (the merged windows of a period) against its token usage
    re-priced with `card`."""
    stored = sum(sums.get(PRICED_COST, 0.0) for sums in partial.group_by(()).values())
    repriced = unpriced = 0.0
    for (model, typ), tokens in tokens_by_model_type(partial).items():
        price = card.price_per_token(model, typ)
        if price is None:
            unpriced += tokens
        else:
            repriced += tokens * price
    return PriceCheck(stored, repriced, unpriced)


class CacheWriteSplit(Protocol):
    def share_1h(self, model: str, from_ms: int, to_ms: int) -> float | None:
        """The measured share of cache-write tokens billed at the 1 h rate, or None when unknown."""
        ...


@dataclass(frozen=True)
class AssumedSplit:
    """No measurement: the card's (configured) assumption everywhere."""

    card: RateCard

    def share_1h(self, model: str, from_ms: int, to_ms: int) -> float | None:
        return None


def measured_share(tokens_5m: float, tokens_1h: float) -> float | None:
    """The 1 h share from the events' per-window sums (`cache_creation_5m`, `cache_creation_1h` tokens)."""
    total = tokens_5m + tokens_1h
    return None if total <= 0 else tokens_1h / total


def split_correction(partial: WindowPartial, card: RateCard, split: CacheWriteSplit, from_ms: int, to_ms: int) -> float:
    """USD to add to the stored figures of `partial` if cache writes were priced with the measured 1 h share
    instead of the card's assumption (0 where nothing is measured)."""
    delta = 0.0
    for (model, typ), tokens in tokens_by_model_type(partial).items():
        if typ != "cacheCreation":
            continue
        measured = split.share_1h(model, from_ms, to_ms)
        quote = card.quote(model)
        if measured is None or quote is None:
            continue
        step = (quote.per_million["cache_write_1h"] - quote.per_million["cache_write_5m"]) / 1e6
        delta += tokens * step * (measured - card.cache_1h_share)
    return delta
