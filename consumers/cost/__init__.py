"""The cost model: monthly AWS bill per component, from measured figures (`measured.json`, written by
`benchmarks/write_amplification.py`) and the dated us-east-1 price table (`schemas/aws_prices.json`).

    project(users, load_measured(), load_aws_prices(), Assumptions()) -> CostReport
"""

from consumers.cost.assumptions import Assumptions
from consumers.cost.measured import Measured, load_measured
from consumers.cost.model import CostLine, CostReport, project
from consumers.cost.prices import AwsPrices, load_aws_prices

__all__ = [
    "Assumptions",
    "AwsPrices",
    "CostLine",
    "CostReport",
    "Measured",
    "load_aws_prices",
    "load_measured",
    "project",
]
