"""The two references the pipeline's throughput is measured against, run on the same records in the same process.

- `NaiveAggregator`: what a straightforward implementation of the same aggregates does — `json.loads` the
  envelope and every EMF line with the stdlib, then for every data point and every window size (1m, 1h, 1d) update
  a dict per (window, label signature) and a dict per (window, user) with the sums, the session set and the
  priced token cost. Same inputs, same outputs (checked by `totals`), no pre-aggregation, no dedup, no fences.
- `floor_decode`: gunzip and typed parse only (`decode_envelope` + the generic `parse_line` per event), no
  aggregation: the least any consumer built on the shared generic decoders (the lake writer's) has to do.
- `floor_decode_fast`: the same with the aggregator's msgspec line reader (`consumers.decode.lines.read_fast`:
  msgspec straight into the fields the aggregates use plus the checks that make its result safe to count, generic
  fallback): the least a msgspec-based aggregator has to do — the target's "decode floor".
- `floor_decode_msgspec`: gunzip + envelope + msgspec decoding each line into the reader's typed Struct and
  nothing else (no checks, no `Line`): a lower bound for msgspec, since its result alone is not safe to count.
- `floor_decode_native`: gunzip + envelope + the native core's `read` (`consumers/native`), Python readers for
  the lines it leaves: what decoding costs the shipped pipeline, aggregation excluded.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from consumers.aggregates.pricing import PRICED_COST, UNPRICED_TOKENS
from consumers.decode.lines import FastEmfLine, read_fast, read_generic
from consumers.decode.native import read_native
from consumers.model import SourceRecord
from schemas.catalogue import EMF_RESERVED_KEYS, TOKEN_USAGE
from schemas.dimensions import GROUPABLE_ATTRIBUTES
from schemas.emf import EmfError, parse_line
from schemas.envelope import EnvelopeDecodeError, decode_envelope
from schemas.prices import PriceTable

_decode_struct = msgspec.json.Decoder(FastEmfLine).decode

WINDOW_MS = {"1m": 60_000, "1h": 3_600_000, "1d": 86_400_000}


@dataclass
class UserSums:
    sums: dict[str, float] = field(default_factory=dict)
    sessions: set[str] = field(default_factory=set)


@dataclass
class NaiveAggregator:
    """Per-point dict updates into every window; stdlib json throughout."""

    prices: PriceTable
    windows: dict[tuple[str, int], dict[tuple[Any, ...], dict[str, float]]] = field(default_factory=dict)
    users: dict[tuple[str, int], dict[str, UserSums]] = field(default_factory=dict)
    points: int = 0

    def process(self, records: list[SourceRecord]) -> None:
        for rec in records:
            try:
                envelope = json.loads(gzip.decompress(rec.data))
            except (OSError, ValueError):
                continue
            if envelope.get("messageType") != "DATA_MESSAGE":
                continue
            for event in envelope.get("logEvents", []):
                try:
                    doc = json.loads(event["message"])
                except ValueError:
                    continue
                self._document(doc)

    def _document(self, doc: dict[str, Any]) -> None:
        aws = doc.get("_aws") or {}
        ts = aws.get("Timestamp")
        if not isinstance(ts, int):
            return
        declared = {m["Name"] for d in aws.get("CloudWatchMetrics", []) for m in d.get("Metrics", [])}
        attrs: dict[str, str] = {}
        values: dict[str, float] = {}
        for key, val in doc.items():
            if key in EMF_RESERVED_KEYS:
                continue
            if key in declared or key.startswith("claude_code."):
                if isinstance(val, int | float) and not isinstance(val, bool) and val >= 0:
                    values[key] = float(val)
            elif isinstance(val, str):
                attrs[key] = val
        user = attrs.get("user.email") or attrs.get("user.id")
        session = attrs.get("session.id")
        signature = tuple(attrs.get(a) for a in GROUPABLE_ATTRIBUTES)
        for metric, value in values.items():
            self.points += 1
            derived = None
            if metric == TOKEN_USAGE:
                price = self.prices.price_per_token(attrs.get("model", ""), attrs.get("type", ""))
                derived = (UNPRICED_TOKENS, value) if price is None else (PRICED_COST, value * price)
            for size, duration_ms in WINDOW_MS.items():
                window = (size, ts - ts % duration_ms)
                sums = self.windows.setdefault(window, {}).setdefault(signature, {})
                sums[metric] = sums.get(metric, 0.0) + value
                if derived is not None:
                    sums[derived[0]] = sums.get(derived[0], 0.0) + derived[1]
                if user is None:
                    continue
                entry = self.users.setdefault(window, {}).setdefault(user, UserSums())
                entry.sums[metric] = entry.sums.get(metric, 0.0) + value
                if derived is not None:
                    entry.sums[derived[0]] = entry.sums.get(derived[0], 0.0) + derived[1]
                if session:
                    entry.sessions.add(session)

    def totals(self, size: str, metric: str) -> dict[int, float]:
        """Sum of `metric` per window start of one size (to compare with the pipeline's rows)."""
        out: dict[int, float] = {}
        for (s, start), sigs in self.windows.items():
            if s == size:
                out[start] = sum(sums.get(metric, 0.0) for sums in sigs.values())
        return out


def _generic_points(index: int, message: str) -> int:
    try:
        parsed, _ = parse_line(message)
    except EmfError:
        return 0
    return len(parsed)


def _fast_points(index: int, message: str) -> int:
    line = read_fast(index, message)
    if line is None:
        try:
            line, _ = read_generic(index, message)
        except EmfError:
            return 0
    return len(line.values) if line is not None else 0


def _floor(records: list[SourceRecord], points_of: Callable[[int, str], int]) -> int:
    """gunzip + typed envelope decode of every record, then `points_of` per log event; the number of points."""
    points = 0
    for rec in records:
        try:
            envelope = decode_envelope(rec.data)
        except EnvelopeDecodeError:
            continue
        if envelope.is_control:
            continue
        for index, event in enumerate(envelope.log_events):
            points += points_of(index, event.message)
    return points


def _msgspec_points(index: int, message: str) -> int:
    try:
        line = _decode_struct(message)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return 0
    return 1 if line is not None else 0


def floor_decode_msgspec(records: list[SourceRecord]) -> int:
    """The floor with only msgspec's typed decode per line (counts decoded lines, not points)."""
    return _floor(records, _msgspec_points)


def floor_decode_native(records: list[SourceRecord]) -> int:
    """The floor with the native core's reader per record (Python readers for the lines it leaves)."""
    points = 0
    for rec in records:
        try:
            envelope = decode_envelope(rec.data)
        except EnvelopeDecodeError:
            continue
        if envelope.is_control:
            continue
        messages = [event.message for event in envelope.log_events]
        scanned = read_native(messages) or [None] * len(messages)
        for index, (line, message) in enumerate(zip(scanned, messages, strict=True)):
            points += len(line.values) if line is not None else _fast_points(index, message)
    return points


def floor_decode(records: list[SourceRecord]) -> int:
    """The floor with the generic `parse_line` per event (what the lake writer uses)."""
    return _floor(records, _generic_points)


def floor_decode_fast(records: list[SourceRecord]) -> int:
    """The floor with the aggregator's own line reader (fast path, generic fallback)."""
    return _floor(records, _fast_points)
