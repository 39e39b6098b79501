"""What one Claude Code API request costs in tokens and dollars.

Token counts are log-normal around medians seen in agentic coding sessions with prompt caching on: the cached
context read back (`cacheRead`) dominates, a few thousand tokens are written to the cache, fresh input is small.
`cost.usage` is Claude Code's own estimate: list price (the dated table in `schemas/prices.json`, cache writes at
the 5-minute rate) times a little client noise.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from schemas.prices import PriceTable

#: Relative noise of the client's cost estimate (its own price table and rounding).
COST_NOISE = 0.004


@dataclass(frozen=True)
class TokenProfile:
    """Medians and log-normal sigmas of tokens per request, per token type."""

    input: tuple[float, float]
    output: tuple[float, float]
    cache_read: tuple[float, float]
    cache_creation: tuple[float, float]
    cache_hit_rate: float  # share of requests that read from the cache at all


MAIN_PROFILE = TokenProfile(
    input=(120, 1.0),
    output=(420, 0.9),
    cache_read=(42_000, 0.6),
    cache_creation=(2_400, 1.0),
    cache_hit_rate=0.95,
)
BACKGROUND_PROFILE = TokenProfile(
    input=(650, 0.7),
    output=(45, 0.6),
    cache_read=(3_000, 0.5),
    cache_creation=(600, 0.8),
    cache_hit_rate=0.3,
)


def _draw(rng: random.Random, median_sigma: tuple[float, float]) -> int:
    median, sigma = median_sigma
    return max(1, round(median * rng.lognormvariate(0.0, sigma)))


def request_tokens(rng: random.Random, profile: TokenProfile, scale: float = 1.0) -> dict[str, int]:
    """Tokens of one request by `token.usage` type; types with zero tokens are absent."""
    tokens = {
        "input": _draw(rng, profile.input),
        "output": max(1, round(_draw(rng, profile.output) * scale)),
    }
    if rng.random() < profile.cache_hit_rate:
        tokens["cacheRead"] = max(1, round(_draw(rng, profile.cache_read) * scale))
        if rng.random() < 0.6:
            tokens["cacheCreation"] = _draw(rng, profile.cache_creation)
    else:
        tokens["cacheCreation"] = _draw(rng, profile.cache_creation)
    return tokens


def list_price_usd(prices: PriceTable, model: str, tokens: dict[str, int]) -> float:
    """Dollar cost of `tokens` at list price; 0 when the model is not in the table."""
    total = 0.0
    for token_type, count in tokens.items():
        per_token = prices.price_per_token(model, token_type)
        total += (per_token or 0.0) * count
    return total


def client_cost_usd(rng: random.Random, prices: PriceTable, model: str, tokens: dict[str, int]) -> float:
    """Claude Code's estimate for `tokens`: list price with a little noise."""
    return list_price_usd(prices, model, tokens) * (1.0 + rng.uniform(-COST_NOISE, COST_NOISE))
