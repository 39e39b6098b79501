"""The dated AWS price table (`schemas/aws_prices.json`): us-east-1 list prices kept as data, not code."""

from __future__ import annotations

from pathlib import Path

import msgspec

from consumers.cost.data_files import load_data_file
from consumers.errors import ConfigError

PRICE_FILE = "aws_prices.json"


class Price(msgspec.Struct, frozen=True):
    usd: float
    unit: str
    note: str = ""
    unsure: bool = False


class AwsPrices(msgspec.Struct, frozen=True):
    effective_date: str
    region: str
    currency: str
    source: str
    hours_per_month: float
    prices: dict[str, Price]

    def usd(self, name: str) -> float:
        """The price called `name` (e.g. `dynamodb.write_units_per_million`)."""
        try:
            return self.prices[name].usd
        except KeyError:
            raise ConfigError(f"the price table {self.effective_date} has no {name!r}; update {PRICE_FILE}") from None

    def unsure(self) -> list[str]:
        return sorted(name for name, p in self.prices.items() if p.unsure)


_decoder = msgspec.json.Decoder(AwsPrices)


def load_aws_prices(path: Path | None = None) -> AwsPrices:
    """The price table shipped in `schemas/` (or the file at `path`)."""
    return load_data_file(
        _decoder, "schemas", PRICE_FILE, path, f"fix it or pass --prices with a valid copy of {PRICE_FILE}"
    )
