"""The rate card: list prices, Bedrock endpoints, customer overrides, the cache-write split, unpriced models, SQL.

Expected prices are typed in from shared/reference/platform.md (USD per million tokens) and the Bedrock rule
(geographic and in-Region endpoints of the 4.5 generation +10 %), not read from schemas/prices.json.
"""

from __future__ import annotations

import duckdb
import pytest
import sqlglot

from consumers.aggregates.dimensions import signature_of
from consumers.aggregates.pricing import PRICED_COST, UNPRICED_TOKENS, Pricer
from consumers.athena.pricing_sql import price_per_token_sql
from schemas.prices import load_prices
from schemas.ratecard import (
    PRICING_INLINE_ENV,
    PRICING_PATH_ENV,
    PricingError,
    PricingOverrides,
    RateCard,
    load_rate_card,
    parse_overrides,
)

OPUS45_US = "us.anthropic.claude-opus-4-5-20251101-v1:0"
SONNET45_GLOBAL = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
SONNET45_API = "claude-sonnet-4-5-20250929"
HAIKU45_REGIONAL = "anthropic.claude-haiku-4-5-20251001-v1:0"
SONNET4_US = "us.anthropic.claude-sonnet-4-20250514-v1:0"
OPUS55 = "claude-opus-5-5"
APP_PROFILE = "arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/a1b2c3d4e5"

M = 1e-6


def card(**overrides: object) -> RateCard:
    return RateCard(load_prices(), parse_overrides(overrides, "test"))


def per_m(c: RateCard, model: str, token_type: str) -> float | None:
    p = c.price_per_token(model, token_type)
    return None if p is None else round(p / M, 9)


def test_list_channel_is_the_anthropic_list_price_whatever_the_prefix() -> None:
    c = card()
    assert per_m(c, OPUS45_US, "output") == 25
    assert per_m(c, OPUS45_US, "input") == 5
    assert per_m(c, OPUS45_US, "cacheRead") == 0.5
    assert per_m(c, OPUS45_US, "cacheCreation") == 6.25  # 5 m rate: the default assumption
    assert per_m(c, SONNET4_US, "output") == 15
    assert per_m(c, "claude-3-5-haiku-20241022", "input") == 0.8
    assert per_m(c, "claude-opus-4-1-20250805", "output") == 75
    assert c.card_id == load_prices().version  # no overrides: the bare version


def test_bedrock_geo_and_regional_endpoints_of_the_45_generation_carry_the_premium() -> None:
    c = card(channel="auto")
    assert per_m(c, OPUS45_US, "output") == 27.5
    assert per_m(c, "eu.anthropic.claude-sonnet-4-5-20250929-v1:0", "input") == 3.3
    assert per_m(c, "apac.anthropic.claude-sonnet-4-5-20250929-v1:0", "cacheRead") == 0.33
    assert per_m(c, HAIKU45_REGIONAL, "output") == 5.5  # in-Region endpoint
    assert per_m(c, SONNET45_GLOBAL, "output") == 15  # global profile: list
    assert per_m(c, SONNET45_API, "output") == 15  # Anthropic API id under auto: list
    assert per_m(c, SONNET4_US, "output") == 15  # older generation: no premium
    profile = f"arn:aws:bedrock:us-west-2:111122223333:inference-profile/{OPUS45_US}"
    assert per_m(c, profile, "input") == 5.5  # system inference profile ARN: its id decides
    assert per_m(card(channel="bedrock"), SONNET45_API, "output") == 16.5  # every call is Bedrock in-Region


def test_new_model_ids_are_unpriced_never_zero() -> None:
    c = card(channel="auto")
    assert c.price_per_token(OPUS55, "input") is None
    assert c.price_per_token("claude-sonnet-5-5", "output") is None
    pricer = Pricer(c)
    assert pricer.derive(signature_of({"model": OPUS55, "type": "input"}), 1000.0) == (UNPRICED_TOKENS, 1000.0)
    priced = pricer.derive(signature_of({"model": OPUS45_US, "type": "output"}), 1000.0)
    assert priced[0] == PRICED_COST and priced[1] == pytest.approx(1000 * 27.5e-6)


def test_customer_overrides_explicit_rates_aliases_and_discounts() -> None:
    c = card(
        name="EDP 2026",
        channel="auto",
        discount_pct=10,
        families={"haiku-4.5": {"discount_pct": 50}, "opus-4/4.1": {"rates": rates(10, 12, 20, 1, 50)}},
        models=[
            {"match": "claude-opus-5-5*", "rates": rates(4, 5, 8, 0.2, 20), "note": "CLI-implied"},
            {
                "match": "arn:aws:bedrock:*:application-inference-profile/a1b2c3d4e5",
                "family": "sonnet-4.5/4.6",
                "endpoint": "geo",
            },
        ],
    )
    assert per_m(c, OPUS55, "output") == 20  # explicit rates: taken as billed, no discount on top
    assert per_m(c, OPUS55, "cacheCreation") == 5
    assert per_m(c, APP_PROFILE, "output") == pytest.approx(15 * 1.1 * 0.9)  # alias → family, geo, global discount
    assert per_m(c, HAIKU45_REGIONAL, "output") == pytest.approx(5 * 1.1 * 0.5)  # family discount wins
    assert per_m(c, "claude-opus-4-1-20250805", "output") == 50  # family explicit rates
    assert per_m(c, SONNET45_GLOBAL, "input") == pytest.approx(3 * 0.9)
    assert c.card_id.startswith(load_prices().version + "+") and len(c.card_id.split("+")[1]) == 8
    prov = c.provenance()
    assert prov["overrides"]["name"] == "EDP 2026"  # type: ignore[index]
    assert card(channel="auto").card_id != c.card_id


def rates(i: float, w5: float, w1: float, r: float, o: float) -> dict[str, float]:
    return {"input": i, "cache_write_5m": w5, "cache_write_1h": w1, "cache_read": r, "output": o}


def test_cache_write_split_is_a_stated_configurable_assumption() -> None:
    c = card(cache_write_1h_share=0.25)
    assert per_m(c, SONNET45_API, "cacheCreation") == pytest.approx(0.75 * 3.75 + 0.25 * 6)
    assert per_m(card(cache_write_1h_share=1), OPUS45_US, "cacheCreation") == 10
    assert c.provenance()["cache_write_1h_share"] == 0.25
    assert "assumption" in str(c.provenance()["cache_write_split"]) and "1 h rate" in c.describe()


@pytest.mark.parametrize(
    "doc",
    [
        {"discount_pct": 120},
        {"channel": "vertex"},
        {"models": [{"match": "x", "rates": {"input": 1}}]},
        {"models": [{"match": "x"}]},
        {"cache_write_1h_share": 2},
        {"surprise": 1},
    ],
)
def test_bad_override_documents_are_refused_with_the_reason(doc: dict[str, object]) -> None:
    with pytest.raises(PricingError):
        parse_overrides(doc, "doc")


def test_overrides_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    f = tmp_path / "pricing.yaml"
    f.write_text("name: neg\nchannel: auto\ndiscount_pct: 20\n")
    monkeypatch.setenv(PRICING_PATH_ENV, str(f))
    c = load_rate_card()
    assert per_m(c, OPUS45_US, "output") == pytest.approx(25 * 1.1 * 0.8)
    assert c.provenance()["overrides"]["from"] == str(f)  # type: ignore[index]
    # the consumer's Pricer, given the plain table as pipeline.py does, prices with the same overrides
    got = Pricer(load_prices()).derive(signature_of({"model": OPUS45_US, "type": "output"}), 1e6)
    assert got == (PRICED_COST, pytest.approx(25 * 1.1 * 0.8))
    monkeypatch.delenv(PRICING_PATH_ENV)
    monkeypatch.setenv(PRICING_INLINE_ENV, '{"channel": "auto"}')
    assert per_m(load_rate_card(), OPUS45_US, "output") == 27.5


MODELS = [
    OPUS45_US,
    SONNET45_GLOBAL,
    SONNET45_API,
    HAIKU45_REGIONAL,
    SONNET4_US,
    OPUS55,
    APP_PROFILE,
    "claude-3-7-sonnet-20250219",
    "claude-opus-4-1-20250805",
    "anthropic.claude-opus-4-20250514-v1:0",
    "eu.anthropic.claude-haiku-4-5-20251001-v1:0",
    "US.Anthropic.Claude-Sonnet-4-5",
    f"arn:aws:bedrock:us-west-2:111122223333:inference-profile/{OPUS45_US}",
    "mystery-model-9",
]
CARDS = [
    {},
    {"channel": "auto"},
    {"channel": "bedrock", "discount_pct": 7.5},
    {
        "channel": "auto",
        "cache_write_1h_share": 0.4,
        "families": {"haiku-4.5": {"discount_pct": 50}},
        "models": [
            {"match": "claude-opus-5-5*", "rates": rates(4, 5, 8, 0.2, 20)},
            {"match": "arn:aws:bedrock:*:application-inference-profile/a1b2c3d4e5", "family": "sonnet-4.5/4.6"},
        ],
    },
]


@pytest.mark.parametrize("overrides", CARDS)
def test_rendered_sql_prices_like_the_rate_card(overrides: dict[str, object]) -> None:
    """Drift test: the lake's SQL CASE gives the same USD per token as RateCard for every id, type and card."""
    c = card(**overrides)
    expr = sqlglot.transpile(f"SELECT {price_per_token_sql(c)} AS p FROM t", read="trino", write="duckdb")[0]
    con = duckdb.connect()
    con.execute("CREATE TABLE t (model VARCHAR, type VARCHAR)")
    for m in MODELS:
        for t in ("input", "output", "cacheRead", "cacheCreation", "bogus"):
            con.execute("DELETE FROM t")
            con.execute("INSERT INTO t VALUES (?, ?)", [m, t])
            (got,) = con.execute(expr).fetchone()  # type: ignore[misc]
            want = c.price_per_token(m, t)
            assert (got is None) == (want is None), (m, t, got, want)
            if want is not None:
                assert got == pytest.approx(want, rel=1e-12), (m, t)


def test_default_card_is_the_empty_override_document() -> None:
    assert PricingOverrides().is_default and not PricingOverrides(channel="auto").is_default
