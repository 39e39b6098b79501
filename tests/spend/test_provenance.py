"""A stored cost figure's prices are checked, not assumed; a measured cache-write split corrects the assumption."""

from __future__ import annotations

import pytest

from consumers.aggregates.dimensions import signature_key, signature_of
from consumers.aggregates.partials import WindowPartial
from consumers.spend.provenance import AssumedSplit, check_prices, measured_share, split_correction
from schemas.prices import load_prices
from schemas.ratecard import RateCard, parse_overrides

OPUS = "us.anthropic.claude-opus-4-5-20251101-v1:0"
NEW = "claude-opus-5-5"


def partial(priced_per_million: dict[str, float]) -> WindowPartial:
    """Token usage of two models, with the stored USD computed here at `priced_per_million` (per token type)."""
    w = WindowPartial()
    for model, typ, tokens in [(OPUS, "input", 2e6), (OPUS, "cacheCreation", 1e6), (NEW, "output", 5e5)]:
        key = signature_key(signature_of({"model": model, "type": typ}))
        w.add(key, "claude_code.token.usage", tokens)
        if model == OPUS:
            w.add(key, "ccstream.token_cost.usd", tokens * priced_per_million[typ] / 1e6)
    return w


def test_stored_figures_priced_with_this_card_are_confirmed() -> None:
    card = RateCard(load_prices(), parse_overrides({}, "t"))
    check = check_prices(partial({"input": 5, "cacheCreation": 6.25}), card)  # list prices, as stored
    assert check.matches and check.stored_usd == pytest.approx(10 + 6.25) and check.unpriced_tokens == 5e5


def test_figures_priced_with_other_prices_are_flagged_with_the_difference() -> None:
    bedrock = RateCard(load_prices(), parse_overrides({"channel": "auto"}, "t"))
    check = check_prices(partial({"input": 5, "cacheCreation": 6.25}), bedrock)  # stored at list, read as Bedrock
    assert not check.matches
    assert check.repriced_usd - check.stored_usd == pytest.approx(0.1 * (10 + 6.25))


class Measured:
    def share_1h(self, model: str, from_ms: int, to_ms: int) -> float | None:
        return measured_share(600_000, 400_000) if model == OPUS else None


def test_measured_cache_split_corrects_the_assumption() -> None:
    card = RateCard(load_prices(), parse_overrides({}, "t"))  # assumption: all 5 m
    w = partial({"input": 5, "cacheCreation": 6.25})
    assert split_correction(w, card, AssumedSplit(card), 0, 1) == 0.0
    # 40 % of the 1M cache-write tokens at the 1 h rate (10) instead of 5 m (6.25): +1.5 USD
    assert split_correction(w, card, Measured(), 0, 1) == pytest.approx(1e6 * 0.4 * (10 - 6.25) / 1e6)
    assert measured_share(0, 0) is None
