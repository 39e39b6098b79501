"""A shard's counters: plain named integers, saved with each checkpoint snapshot (so a replay restores them)."""

from __future__ import annotations

from dataclasses import dataclass, field

DEAD_LETTER_COUNTER = "dead_letters."
#: `limits.<reason>.<window size>`: data points or users a deterministic limit folded or approximated.
LIMIT_COUNTER = "limits."


def dead_letters_by_reason(counters: dict[str, int]) -> dict[str, int]:
    """The `dead_letters.<reason>` counters of a shard snapshot, by reason."""
    return {k[len(DEAD_LETTER_COUNTER) :]: v for k, v in counters.items() if k.startswith(DEAD_LETTER_COUNTER)}


def limits_by_reason(counters: dict[str, int]) -> dict[str, int]:
    """The `limits.<reason>.<size>` counters of a shard snapshot."""
    return {k[len(LIMIT_COUNTER) :]: v for k, v in counters.items() if k.startswith(LIMIT_COUNTER)}


@dataclass(slots=True)
class Counters:
    values: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, n: int = 1) -> None:
        self.values[name] = self.values.get(name, 0) + n
