"""The record the generator produces: one EMF line with the log event timestamp and log stream it goes to."""

from __future__ import annotations

import msgspec


class EmfLine(msgspec.Struct, frozen=True, gc=False):
    """One EMF line as the collector writes it into `log_stream`; `timestamp_ms` equals its `_aws.Timestamp`."""

    timestamp_ms: int
    log_stream: str
    line: str
