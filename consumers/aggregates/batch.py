"""Fine pre-aggregation of one batch, before it is rolled up into the window rows.

The hot path does one dictionary update per EMF line and key: values are summed per (minute, label signature) and
per (minute, user). Rolling up into the 1m/1h/1d rows then costs per distinct signature and user, not per data
point — at 10,000 users there are far fewer signatures (models × types × teams …) than points.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from consumers.aggregates.dimensions import Signature
from consumers.aggregates.partials import Sums
from consumers.native import core, on_by_default
from schemas.catalogue import TOKEN_USAGE

if TYPE_CHECKING:
    from consumers.decode.lines import Line

MINUTE_MS = 60_000
NO_LATE_LINES: frozenset[int] = frozenset()


@dataclass(slots=True)
class FineBatch:
    """Sums of one batch at minute granularity. `minute_ms` is the start of the 1-minute window."""

    labels: dict[tuple[int, Signature], list] = field(default_factory=dict)  # [Sums, n]
    users: dict[tuple[int, str], list] = field(default_factory=dict)  # [Sums, sessions]

    def fold(
        self,
        lines: Iterable[Line],
        derive: Callable[[Signature, float], tuple[str, float]],
        skip: frozenset[int] = NO_LATE_LINES,
        native: bool | None = None,
    ) -> int:
        """Add lines (except those whose index is in `skip`); returns the number of data points added.

        Per user, token usage is also priced line by line with `derive(signature, tokens)` (`Pricer.derive`): a
        user's tokens mix models and token types, so they cannot be priced later.
        Per signature, pricing waits for the roll-up (one signature is one model and token type).
        The native core's `fold` runs this same loop in C (`native` None: when built, unless `CCSTREAM_NATIVE=0`);
        the sums are bit for bit the same (tests/core/test_native_fold.py)."""
        module = core() if (on_by_default() if native is None else native) else None
        if module is not None and isinstance(lines, list):
            return int(module.fold(self.labels, self.users, lines, derive, skip or None, TOKEN_USAGE))
        labels, users = self.labels, self.users
        points = 0
        for line in lines:
            if skip and line.index in skip:
                continue
            ts = line.timestamp_ms
            minute = ts - ts % MINUTE_MS
            sig = line.signature
            values = line.values
            entry = labels.get((minute, sig))
            if entry is None:
                entry = labels[(minute, sig)] = [{}, 0]
            sums: Sums = entry[0]
            for metric, v in values:
                sums[metric] = sums.get(metric, 0.0) + v
            entry[1] += len(values)
            points += len(values)
            user = line.user
            if user is None:
                continue
            uentry = users.get((minute, user))
            if uentry is None:
                uentry = users[(minute, user)] = [{}, set()]
            usums: Sums = uentry[0]
            for metric, v in values:
                usums[metric] = usums.get(metric, 0.0) + v
                if metric == TOKEN_USAGE:
                    derived, dv = derive(sig, v)
                    usums[derived] = usums.get(derived, 0.0) + dv
            if line.session:
                uentry[1].add(line.session)
        return points
