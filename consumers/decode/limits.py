"""Decode limits: what one record or line may carry before it degrades, each read from `CCSTREAM_MAX_*`.

Every limit degrades deterministically (a replay gives the same result, so exactly-once holds) and is counted per
reason as a dead letter (`consumers.decode.records`). Defaults are sized for 10,000+ developers: a real awsemf
line is ~1,700 bytes with ~25 labels and 1-4 values; a subscription record decompresses to at most ~1-2 MB.

| setting | default | over the limit |
|---|---|---|
| `CCSTREAM_MAX_RECORD_BYTES` | 8 MiB | the record is not decompressed further: dead letter `oversized_record` |
| `CCSTREAM_MAX_LINE_BYTES` | 1 MiB | the line is a dead letter `oversized_line` |
| `CCSTREAM_MAX_VALUE_CHARS` | 1024 | the attribute value is cut; dead letter `attribute_truncated` (line counts) |
| `CCSTREAM_MAX_NAME_CHARS` | 256 | the attribute is dropped; `attribute_name_too_long` (line counts) |
| `CCSTREAM_MAX_LABELS` | 128 | labels beyond it dropped, catalogue ones kept first; `labels_limited` |
| `CCSTREAM_MAX_POINTS` | 64 | values beyond it (key order) not counted; `points_limited` |
| `CCSTREAM_MAX_EVENTS` | 20,000 | log events beyond it in one record not read; `events_limited` |
| `CCSTREAM_MIN_TIMESTAMP_MS` / `CCSTREAM_MAX_TIMESTAMP_MS` | 2025-01-01 / 2100-01-01 | `timestamp_out_of_range` |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from consumers.errors import ConfigError
from schemas.emf import LineLimits
from schemas.envelope import MAX_RECORD_BYTES

#: Log events in one subscription record (CloudWatch Logs puts at most 10,000 events in a PutLogEvents batch).
MAX_EVENTS = 20_000


@dataclass(frozen=True)
class DecodeLimits:
    """The record-level caps and the per-line `LineLimits`."""

    max_record_bytes: int = MAX_RECORD_BYTES
    max_events: int = MAX_EVENTS
    line: LineLimits = field(default_factory=LineLimits)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DecodeLimits:
        env = os.environ if env is None else env
        d, dl = cls(), LineLimits()

        def get(name: str, default: int) -> int:
            raw = env.get(f"CCSTREAM_{name}")
            if raw is None or raw == "":
                return default
            try:
                value = int(raw)
            except ValueError:
                raise ConfigError(f"CCSTREAM_{name}={raw!r} is not an integer") from None
            if value < 1:
                raise ConfigError(f"CCSTREAM_{name}={raw!r} must be at least 1")
            return value

        try:
            line = LineLimits(
                max_line_bytes=get("MAX_LINE_BYTES", dl.max_line_bytes),
                max_value_chars=get("MAX_VALUE_CHARS", dl.max_value_chars),
                max_name_chars=get("MAX_NAME_CHARS", dl.max_name_chars),
                max_labels=get("MAX_LABELS", dl.max_labels),
                max_points=get("MAX_POINTS", dl.max_points),
                min_timestamp_ms=get("MIN_TIMESTAMP_MS", dl.min_timestamp_ms),
                max_timestamp_ms=get("MAX_TIMESTAMP_MS", dl.max_timestamp_ms),
            )
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        return cls(get("MAX_RECORD_BYTES", d.max_record_bytes), get("MAX_EVENTS", d.max_events), line)


DEFAULT_DECODE_LIMITS = DecodeLimits()
