"""Runaway and spike detection: a subject's spend or tokens per minute leave its own baseline.

Subjects are developers (user partials) and teams (`team.id`). Per subject and metric (USD at the rate card,
tokens), the baseline is learnt from its hourly history (`history_days` of 1h rows): for each class of day
(weekday, weekend) and hour of the day, the busiest hour seen within ±`hour_spread` hours, turned into a per-minute
peak by `burst` (a two-minute peak is at most that many times the hour's average rate). The threshold at a time is

    max(floor, k × peak(class, hour ± spread), off_hours_share × peak over all hours)

so a developer's usual workday peaks stay under it, while the same activity at 3 a.m., when they never work, goes
over it (the last term keeps a night-time threshold from being zero). The rate compared is the spend of the last
two 1-minute windows (the current one partly) divided by the minutes they cover: a lone one-minute burst is halved,
a sustained loop is not. Pure functions; `runaway_check.py` reads the rows and sends deduplicated alerts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import msgspec

from consumers.spend.months import MINUTE_MS

HOUR_MS = 60 * MINUTE_MS


class RunawaySettings(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The `runaway` section of the budgets configuration."""

    k: float = 3.0
    burst: float = 6.0
    off_hours_share: float = 0.5
    hour_spread: int = 2
    history_days: int = 14
    floor_usd_per_minute: float = 0.5
    floor_tokens_per_minute: float = 500_000.0
    quiet_minutes: int = 30
    teams: bool = True
    link: str = "http://127.0.0.1:8080"

    def floor(self, metric: str) -> float:
        return self.floor_usd_per_minute if metric == "usd" else self.floor_tokens_per_minute


def _slot(ms: int) -> tuple[bool, int]:
    dt = datetime.fromtimestamp(ms / 1000, UTC)
    return dt.weekday() >= 5, dt.hour


@dataclass(frozen=True)
class Baseline:
    """Per-minute peaks of one subject and metric: by (weekend?, hour), and over all hours."""

    peaks: dict[tuple[bool, int], float]
    overall: float

    def peak_at(self, ms: int, spread: int) -> float:
        weekend, hour = _slot(ms)
        return max((self.peaks.get((weekend, (hour + d) % 24), 0.0) for d in range(-spread, spread + 1)), default=0.0)


def learn(hourly: dict[int, float], settings: RunawaySettings) -> Baseline:
    """A baseline from hour start → total of that hour (USD or tokens)."""
    peaks: dict[tuple[bool, int], float] = {}
    for start, total in hourly.items():
        add_hour(peaks, start, total, settings)
    return Baseline(peaks, max(peaks.values(), default=0.0))


def add_hour(peaks: dict[tuple[bool, int], float], start: int, total: float, settings: RunawaySettings) -> None:
    """Fold one hour's total into per-slot peaks (what `learn` does, one hour at a time)."""
    if total <= 0:
        return
    slot = _slot(start)
    peaks[slot] = max(peaks.get(slot, 0.0), total / 60 * settings.burst)


def threshold(baseline: Baseline, ms: int, metric: str, settings: RunawaySettings) -> float:
    return max(
        settings.floor(metric),
        settings.k * baseline.peak_at(ms, settings.hour_spread),
        settings.off_hours_share * baseline.overall,
    )


def rate(minutes: dict[int, float], now_ms: int) -> float:
    """Per-minute rate over the current minute so far and the one before: sum / minutes covered."""
    current = now_ms - now_ms % MINUTE_MS
    total = minutes.get(current, 0.0) + minutes.get(current - MINUTE_MS, 0.0)
    covered = max((now_ms - (current - MINUTE_MS)) / MINUTE_MS, 1.0)
    return total / covered


@dataclass(frozen=True)
class Spike:
    scope: str  # "user" | "team"
    subject: str
    metric: str  # "usd" | "tokens"
    rate_per_minute: float
    threshold: float
    baseline_peak: float
    now_ms: int
    first_minute_ms: int

    @property
    def key(self) -> str:
        return f"{self.scope}#{self.subject}"


@dataclass
class Observed:
    """What one check saw of one subject: minute totals of the last minutes, per metric."""

    scope: str
    subject: str
    minutes: dict[str, dict[int, float]] = field(default_factory=dict)


def detect(obs: Observed, baselines: dict[str, Baseline], now_ms: int, settings: RunawaySettings) -> Spike | None:
    """The first metric (USD, then tokens) whose recent rate is over its threshold, or None."""
    for metric in ("usd", "tokens"):
        minutes = obs.minutes.get(metric, {})
        r = rate(minutes, now_ms)
        base = baselines.get(metric) or Baseline({}, 0.0)
        t = threshold(base, now_ms, metric, settings)
        if r > t:
            current = now_ms - now_ms % MINUTE_MS
            over = [m for m in (current - MINUTE_MS, current) if minutes.get(m, 0.0) > 0]
            return Spike(
                obs.scope, obs.subject, metric, r, t, base.peak_at(now_ms, settings.hour_spread), now_ms, over[0]
            )
    return None
