"""Mergeable, deterministic distribution sketches (DDSketch) for durations and time to first token.

The bucket of a value is DDSketch's logarithmic mapping (the `ddsketch` package, relative accuracy
`RELATIVE_ACCURACY` = 1 %): every quantile read back is within 1 % of the exact value at that rank
(`Sketch.quantile`; property-tested against exact quantiles in `tests/events/test_sketch_properties.py`).
Counts are integers in a plain {bucket: count} map, so merging is integer addition: any order and any split of
shards and windows gives the same sketch, bit for bit (floating-point sums would not). Values are non-negative
integers (ms); 0 has its own count. The map holds at most ~1,750 buckets (1 ms … 10^15 ms), so no collapsing is
needed and nothing depends on merge order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from ddsketch.mapping import LogarithmicMapping

RELATIVE_ACCURACY = 0.01
_MAPPING = LogarithmicMapping(RELATIVE_ACCURACY)


def bucket_of(value: int) -> int:
    return int(_MAPPING.key(value))


def value_of(bucket: int) -> float:
    """The value a bucket stands for (within `RELATIVE_ACCURACY` of every value it holds)."""
    return float(_MAPPING.value(bucket))


@dataclass(slots=True)
class Sketch:
    bins: dict[int, int] = field(default_factory=dict)
    zeros: int = 0

    def add(self, value: int, n: int = 1) -> None:
        if value <= 0:
            self.zeros += n
            return
        k = bucket_of(value)
        self.bins[k] = self.bins.get(k, 0) + n

    def merge(self, other: Sketch) -> Sketch:
        self.zeros += other.zeros
        bins = self.bins
        for k, n in other.bins.items():
            bins[k] = bins.get(k, 0) + n
        return self

    @property
    def count(self) -> int:
        return self.zeros + sum(self.bins.values())

    def quantile(self, q: float) -> float | None:
        """The value at rank ⌊q·(count−1)⌋ of the sorted values, within 1 %; None for an empty sketch."""
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"quantile {q} is not in [0, 1]")
        total = self.count
        if total == 0:
            return None
        rank = int(q * (total - 1))
        seen = self.zeros
        if rank < seen:
            return 0.0
        for k in sorted(self.bins):
            seen += self.bins[k]
            if rank < seen:
                return value_of(k)
        return value_of(max(self.bins))  # not reached: the ranks add up to `total`

    def to_doc(self) -> list[object]:
        """`[zeros, [bucket, count, bucket, count, …]]`, buckets ascending (the same sketch, the same bytes)."""
        flat: list[int] = []
        for k in sorted(self.bins):
            flat += (k, self.bins[k])
        return [self.zeros, flat]

    @classmethod
    def from_doc(cls, doc: object) -> Sketch:
        zeros, flat = cast("tuple[int, list[int]]", doc)
        return cls(dict(zip(flat[::2], flat[1::2], strict=True)), int(zeros))


def merged(sketches: list[Sketch]) -> Sketch:
    out = Sketch()
    for s in sketches:
        out.merge(s)
    return out
