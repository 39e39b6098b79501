"""Errors of `ccstream replay`; each message says how to fix the problem."""

from __future__ import annotations

from consumers.errors import CcstreamError, ConfigError


class ReplayError(CcstreamError):
    """A replay could not be completed (missing resource, records still failing after retries)."""


class ReplayInputError(ConfigError):
    """A replay input file is unreadable or not in a known format."""


class TimestampsOutOfRange(ConfigError):
    """CloudWatch Logs would reject events of the input (older than 14 days or more than 2 h ahead)."""
