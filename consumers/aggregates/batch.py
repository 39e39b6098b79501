"""Fine pre-aggregation of one batch, before it is rolled up into the window rows.

The hot path does one dictionary update per EMF line: values are summed per (minute, label signature) and per
(minute, user). Rolling up into the 1m/1h/1d rows then costs per distinct signature, not per data point — at
10,000 users there are far fewer signatures (models × types × teams …) than points.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from consumers.aggregates.dimensions import Signature
from consumers.aggregates.partials import Sums


@dataclass(slots=True)
class FineBatch:
    """Sums of one batch at minute granularity. `minute_ms` is the start of the 1-minute window."""

    labels: dict[tuple[int, Signature], list] = field(default_factory=dict)  # type: ignore[type-arg] # [Sums, n]
    users: dict[tuple[int, str], list] = field(default_factory=dict)  # type: ignore[type-arg] # [Sums, sessions]

    def add_line(
        self, minute_ms: int, sig: Signature, user: str | None, session: str | None, values: list[tuple[str, float]]
    ) -> None:
        """`add` for every (metric, value) of one EMF line (one label set, one user, one session)."""
        key = (minute_ms, sig)
        entry = self.labels.get(key)
        if entry is None:
            entry = self.labels[key] = [{}, 0]
        sums: Sums = entry[0]
        for metric, v in values:
            sums[metric] = sums.get(metric, 0.0) + v
        entry[1] += len(values)
        if user is not None:
            ukey = (minute_ms, user)
            uentry = self.users.get(ukey)
            if uentry is None:
                uentry = self.users[ukey] = [{}, set()]
            usums: Sums = uentry[0]
            for metric, v in values:
                usums[metric] = usums.get(metric, 0.0) + v
            if session:
                uentry[1].add(session)

    def add_user_only(self, minute_ms: int, user: str, metric: str, v: float) -> None:
        uentry = self.users.get((minute_ms, user))
        if uentry is None:
            uentry = self.users[(minute_ms, user)] = [{}, set()]
        uentry[0][metric] = uentry[0].get(metric, 0.0) + v
