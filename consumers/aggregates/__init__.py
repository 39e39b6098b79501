"""Mergeable partial aggregates. Pure: no boto3, no I/O. Every partial says how two of it combine (`merge`)."""

from consumers.aggregates.dimensions import DIMENSION_SETS, DimensionSet, dimension_set
from consumers.aggregates.partials import UserPartial, WindowPartial

__all__ = ["DIMENSION_SETS", "DimensionSet", "UserPartial", "WindowPartial", "dimension_set"]
