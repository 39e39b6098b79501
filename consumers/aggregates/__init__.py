"""Mergeable partial aggregates. Pure: no boto3, no I/O. Every partial says how two of it combine (`merge`)."""

from consumers.aggregates.dimensions import GROUPABLE_ATTRIBUTES, signature_key, signature_of
from consumers.aggregates.partials import UserPartial, WindowPartial

__all__ = ["GROUPABLE_ATTRIBUTES", "UserPartial", "WindowPartial", "signature_key", "signature_of"]
