"""What one simulated CLI process exports per interval, before it becomes OTLP (`otlp`) or the collector's lines
(`emf_writer`): the session's labels and the series that changed."""

from __future__ import annotations

from dataclasses import dataclass

from consumers.generate.population import UserProfile

#: Extra labels of one series beyond the session's labels, as sorted (key, value) pairs.
SeriesKey = tuple[tuple[str, str], ...]


class LabelSet:
    """The labels of one session (the user's labels plus `session.id` and `terminal.type`)."""

    __slots__ = ("labels",)

    def __init__(self, labels: dict[str, str]) -> None:
        self.labels = dict(labels)


@dataclass(frozen=True, slots=True)
class Export:
    """One periodic export of one CLI process (a session): the series that changed since its previous export.

    `series` maps the series' own labels (beyond the session's `labels`) to metric name → delta value;
    `consumers.generate.otlp` turns it into the OTLP request the CLI sends, `emf_writer` into the collector's lines.
    """

    timestamp_ms: int
    user: UserProfile
    labels: LabelSet
    log_stream: str
    series: dict[SeriesKey, dict[str, float | int]]
