"""The model price table (`schemas/prices.json`) rendered as a SQL expression: USD per token of a token-usage row.

The expression reads the `model` and `type` columns and is NULL for models the table does not know or for rows
that are not token usage, so `SUM(token_usage * <expr>)` is the list-price cost of the priced tokens. Families are
tried in the file's order (first match wins, as in `PriceTable.family_of`). Patterns are unanchored searches, so
matching the lower-cased id gives the same family as matching it with its Bedrock prefix stripped; a test checks
the rendered SQL against `load_prices().price_per_token` for every family and token type.
"""

from __future__ import annotations

from schemas.prices import TOKEN_TYPE_COLUMN, PriceTable, load_prices


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def price_per_token_sql(
    table: PriceTable | None = None, model_column: str = "model", type_column: str = "type", indent: str = "    "
) -> str:
    """A Trino `CASE` expression giving USD per token (DOUBLE) for `model_column`/`type_column`.

    Prices are written per million tokens with an `E-6` exponent (`3.0E-6`), which Trino and DuckDB read as DOUBLE.
    """
    prices = table or load_prices()
    for fam in prices.families:
        if fam.pattern.pattern.startswith("^"):
            raise ValueError(f"price pattern {fam.pattern.pattern!r} is anchored; the SQL would not strip prefixes")
    lines = ["CASE"]
    for fam in prices.families:
        per_type = " ".join(
            f"WHEN {_literal(token_type)} THEN {fam.per_million[column]!r}E-6"
            for token_type, column in TOKEN_TYPE_COLUMN.items()
        )
        lines.append(
            f"{indent}WHEN regexp_like(lower({model_column}), {_literal(fam.pattern.pattern)}) "
            f"THEN CASE {type_column} {per_type} END"
        )
    lines.append(f"{indent}END")
    return "(" + "\n".join(lines) + ")"
