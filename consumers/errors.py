"""Exception tree for ccstream. Each class is one failure with one meaning."""

from __future__ import annotations


class CcstreamError(Exception):
    """Base of every error raised on purpose by ccstream."""


class ConfigError(CcstreamError):
    """A setting is missing or wrong; the message says how to fix it."""


class DecodeError(CcstreamError):
    """A record or log event cannot be decoded. `reason` is a short stable code used in dead letters."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class SinkRetryableError(CcstreamError):
    """A write failed in a way that may succeed later (throttling, 5xx). The batch must not be checkpointed."""


class CheckpointFailed(CcstreamError):
    """The KCL refused a checkpoint (lease lost, shutdown); the processor must stop writing for this shard."""


class UnsupportedQuery(CcstreamError):
    """`ccstream query` was asked for a combination the stored aggregates cannot answer."""


class RowTooLargeError(ConfigError):
    """An aggregate row would exceed DynamoDB's 400 KB item limit: the bucket settings are too small for this
    organisation. The message names the setting to raise (for windows that have not started yet)."""
