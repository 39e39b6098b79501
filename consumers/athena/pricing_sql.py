"""The effective rate card (`schemas/ratecard.py`) rendered as a SQL expression: USD per token of a token-usage row.

The expression reads the `model` and `type` columns and is NULL for models the card cannot price or for rows that
are not token usage, so `SUM(token_usage * <expr>)` is the cost of the priced tokens at the same prices the
consumers store. Branches are tried in the card's order: the overrides' model rules, then the families (first
match wins, as in `RateCard.quote`); inside a branch the endpoint kind of the id's last ARN segment (`global.`,
geographic, `anthropic.` in-Region, else the Anthropic API) picks the prices. Patterns are unanchored searches, so
matching the lower-cased id gives the same family as matching it with its Bedrock prefix stripped; a test checks the
rendered SQL against `RateCard.price_per_token` for many ids, every token type and several override documents.
"""

from __future__ import annotations

import re

from schemas.prices import TOKEN_TYPE_COLUMN
from schemas.ratecard import Endpoint, ModelRule, Quote, RateCard, load_rate_card, quote_for

_ENDPOINTS: tuple[Endpoint, ...] = ("global", "geo", "regional", "api")
_TYPES = ("input", "output", "cacheRead", "cacheCreation")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _prefix_regex(prefixes: tuple[str, ...]) -> str:
    return "(^|/)(" + "|".join(re.escape(p) for p in prefixes) + ")[^/]*$"


def _glob_regex(pattern: str) -> str:
    """A shell pattern (`*`, `?`) as an anchored regex; character classes are refused (no portable SQL)."""
    if "[" in pattern:
        raise ValueError(f"model rule {pattern!r}: character classes cannot be rendered as SQL; use * and ?")
    out = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern.lower())
    return f"^{out}$"


def _per_million(q: Quote, token_type: str, share: float) -> float:
    if token_type == "cacheCreation":
        if share == 0:
            return q.per_million["cache_write_5m"]
        return (1 - share) * q.per_million["cache_write_5m"] + share * q.per_million["cache_write_1h"]
    return q.per_million[TOKEN_TYPE_COLUMN[token_type]]


def _types(q: Quote, share: float) -> str:
    parts = " ".join(f"WHEN {_literal(t)} THEN {_per_million(q, t, share)!r}E-6" for t in _TYPES)
    return f"CASE {{type}} {parts} END"


def _branch(card: RateCard, fam_name: str | None, rule: ModelRule | None) -> str:
    fam = card.table.family_named(fam_name) if fam_name else None
    share = card.cache_1h_share
    by_endpoint = {e: _types(quote_for(card, "", fam, e, rule), share) for e in _ENDPOINTS}
    if len(set(by_endpoint.values())) == 1:
        return by_endpoint["api"]
    rule_b = card.table.bedrock
    preds = {
        "global": _prefix_regex(rule_b.global_prefixes),
        "geo": _prefix_regex(rule_b.geo_prefixes),
        "regional": _prefix_regex(rule_b.regional_prefixes),
    }
    whens = " ".join(
        f"WHEN regexp_like(lower({{model}}), {_literal(preds[e])}) THEN {by_endpoint[e]}"
        for e in ("global", "geo", "regional")
        if rule_b.__getattribute__(f"{e}_prefixes")
    )
    return f"CASE {whens} ELSE {by_endpoint['api']} END"


def price_per_token_sql(
    card: RateCard | None = None, model_column: str = "model", type_column: str = "type", indent: str = "    "
) -> str:
    """A Trino `CASE` expression giving USD per token (DOUBLE) for `model_column`/`type_column`.

    Prices are written per million tokens with an `E-6` exponent (`3.0E-6`), which Trino and DuckDB read as DOUBLE.
    """
    card = card or load_rate_card()
    for fam in card.table.families:
        if fam.pattern.pattern.startswith("^"):
            raise ValueError(f"price pattern {fam.pattern.pattern!r} is anchored; the SQL would not strip prefixes")
    lines = ["CASE"]
    for rule in card.overrides.models:
        branch = _branch(card, rule.family, rule)
        lines.append(f"{indent}WHEN regexp_like(lower({{model}}), {_literal(_glob_regex(rule.match))}) THEN {branch}")
    for fam in card.table.families:
        lines.append(
            f"{indent}WHEN regexp_like(lower({{model}}), {_literal(fam.pattern.pattern)}) "
            f"THEN {_branch(card, fam.family, None)}"
        )
    lines.append(f"{indent}END")
    return "(" + "\n".join(lines).replace("{model}", model_column).replace("{type}", type_column) + ")"
