"""Runaway alerts on a simulated team: an overnight agent loop raises exactly one alert, within two minutes of its
start; two weeks of ordinary workdays with their peaks raise none.

The rows are built here as the aggregates would hold them (per-minute and per-hour user and team sums), from a
per-minute simulation of each developer: weekday hours 09-18 UTC, active about half the minutes, log-normal tokens
per active minute (median 120k, mostly cache reads) with occasional 4x bursts. Checks run every simulated minute.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest

from consumers.aggregates.dimensions import signature_key, signature_of
from consumers.aggregates.partials import UserEntry, UserPartial, WindowPartial
from consumers.dashboard.data import DashboardData
from consumers.sink.base import RowKey
from consumers.spend.runaway import RunawaySettings, learn, rate, threshold
from consumers.spend.runaway_check import BaselineCache, MemoryEpisodeLedger, RunawayAlert, check_runaway

MIN, HOUR, DAY = 60_000, 3_600_000, 86_400_000
MON_NOV_16 = 1_794_787_200_000  # 2026-11-16T00:00:00Z, a Monday
COST, TOKENS = "ccstream.token_cost.usd", "claude_code.token.usage"
USD_PER_TOKEN = 0.5e-6
DEVS = {f"dev{i:02d}@example.com": f"team-{i % 3}" for i in range(20)}
LOOPER = "dev07@example.com"
LOOP_START = MON_NOV_16 + 90 * MIN  # 01:30
LOOP_END = MON_NOV_16 + 5 * HOUR
LOOP_TOKENS_PER_MIN = 900_000.0


def workday_minutes(rng: random.Random, day: int) -> dict[str, dict[int, float]]:
    out: dict[str, dict[int, float]] = {u: {} for u in DEVS}
    if (day // DAY + 3) % 7 >= 5:  # 1970-01-01 was a Thursday: weekend
        return out
    for user in DEVS:
        for m in range(day + 9 * HOUR, day + 18 * HOUR, MIN):
            if rng.random() < 0.5:
                tokens = rng.lognormvariate(11.7, 0.8)  # median ~120k
                if rng.random() < 0.02:
                    tokens *= 4
                out[user][m] = tokens
    return out


class Rows:
    """A RowReader over hand-made 1m and 1h rows (one shard)."""

    def __init__(self) -> None:
        self.docs: dict[tuple[str, str, int], dict[str, Any]] = {}

    def add(self, size: str, start: int, user: str, tokens: float) -> None:
        u = self.docs.setdefault(("U", size, start), {"users": {}})
        entry = u["users"].setdefault(user, {COST: 0.0, TOKENS: 0.0})
        entry[COST] += tokens * USD_PER_TOKEN
        entry[TOKENS] += tokens
        w = self.docs.setdefault(("W", size, start), {"teams": {}})
        t = w["teams"].setdefault(DEVS[user], {COST: 0.0, TOKENS: 0.0})
        t[COST] += tokens * USD_PER_TOKEN
        t[TOKENS] += tokens

    def rows(self, kind: str, size: str, from_ms: int, to_ms: int) -> Iterator[tuple[str, RowKey, dict[str, Any]]]:
        for (k, s, start), doc in sorted(self.docs.items(), key=lambda kv: kv[0][2]):
            if k != kind or s != size or not from_ms <= start < to_ms:
                continue
            if kind == "U":
                part = UserPartial({u: UserEntry(dict(sums), set()) for u, sums in doc["users"].items()})
            else:
                part = WindowPartial()
                for team, sums in doc["teams"].items():
                    key = signature_key(signature_of({"team.id": team, "model": "m", "type": "cacheRead"}))
                    part.add_sums(key, dict(sums))
            yield "shard-0", RowKey(kind, size, start), part.to_doc()


def simulate(loop: bool) -> tuple[Rows, dict[str, dict[int, float]]]:
    rng = random.Random(20261116)
    rows = Rows()
    for day in range(MON_NOV_16 - 14 * DAY, MON_NOV_16, DAY):
        for user, minutes in workday_minutes(rng, day).items():
            for m, tokens in minutes.items():
                rows.add("1h", m - m % HOUR, user, tokens)
    today = workday_minutes(rng, MON_NOV_16)
    if loop:
        for m in range(LOOP_START, LOOP_END, MIN):
            today[LOOPER][m] = today[LOOPER].get(m, 0.0) + LOOP_TOKENS_PER_MIN
    for user, minutes in today.items():
        for m, tokens in minutes.items():
            rows.add("1m", m, user, tokens)
    return rows, today


def run_day(rows: Rows, settings: RunawaySettings) -> list[RunawayAlert]:
    cache, ledger, sent = BaselineCache(), MemoryEpisodeLedger(), []
    for now in range(MON_NOV_16 + 30_000, MON_NOV_16 + DAY, MIN):  # a check every minute, 30 s into it
        out = check_runaway(DashboardData(rows), cache, ledger, sent.append, now, settings)
        assert len(out.sent) <= 1
    return sent


def test_overnight_agent_loop_raises_exactly_one_alert_within_two_minutes() -> None:
    rows, _ = simulate(loop=True)
    sent = run_day(rows, RunawaySettings())
    assert [(a.spike.scope, a.spike.subject, a.spike.metric) for a in sent] == [("user", LOOPER, "tokens")]
    alert = sent[0]
    assert alert.spike.now_ms - LOOP_START <= 2 * MIN  # 30 s after its first minute: the first check that sees it
    assert alert.spike.rate_per_minute > alert.spike.threshold
    assert "dev07@example.com is spending" in alert.message and "/?from=2026-11-16T00:30Z" in alert.link


def test_ordinary_workday_peaks_raise_none() -> None:
    rows, today = simulate(loop=False)
    assert run_day(rows, RunawaySettings()) == []
    # the day did have peaks: some developer's two-minute rate was several times their hour's average
    peak = max(rate(minutes, m + 30_000) for minutes in today.values() for m in minutes)
    assert peak > 1_000_000


def test_threshold_follows_the_hour_of_day() -> None:
    s = RunawaySettings()
    tuesday = MON_NOV_16 - 6 * DAY
    base = learn({tuesday + h * HOUR: (6e6 if 9 <= h < 18 else 0.0) for h in range(24)}, s)
    noon, night = MON_NOV_16 + 12 * HOUR, MON_NOV_16 + 3 * HOUR
    assert threshold(base, noon, "tokens", s) == pytest.approx(3 * 6e6 / 60 * 6)
    assert threshold(base, night, "tokens", s) == pytest.approx(max(500_000, 0.5 * 6e6 / 60 * 6))


class TwoShards(Rows):
    """Each hour's rows split over two shards (a developer's lines land on any shard): baselines must merge them."""

    def rows(self, kind: str, size: str, from_ms: int, to_ms: int) -> Iterator[tuple[str, RowKey, dict[str, Any]]]:
        for shard, key, doc in super().rows(kind, size, from_ms, to_ms):
            if kind == "U":
                whole = UserPartial.from_doc(doc)
                for name in ("shard-0", "shard-1"):
                    half = {u: UserEntry({m: v / 2 for m, v in e.sums.items()}, set()) for u, e in whole.users.items()}
                    yield name, key, UserPartial(half).to_doc()
            else:
                yield shard, key, doc


def test_baselines_merge_every_shard_of_an_hour() -> None:
    rows = TwoShards()
    tuesday = MON_NOV_16 - 6 * DAY
    rows.add("1h", tuesday + 10 * HOUR, "dev01@example.com", 6e6)
    cache = BaselineCache()
    cache.refresh(DashboardData(rows), MON_NOV_16 + 10 * HOUR, RunawaySettings())
    base = cache.of("user", "dev01@example.com")["tokens"]
    assert base.overall == pytest.approx(6e6 / 60 * 6)  # not half of it
