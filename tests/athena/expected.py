"""Expected answers of every named query, computed in plain Python from the decoded fixture points.

Nothing here imports ccstream: each function restates one query's meaning over `tests.lake.fixture.Point`s.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from tests.lake.fixture import COST, DAY_MS, DECISION, PRICE_PER_MILLION, SESSION, TOKEN, Point

Row = tuple[Any, ...]


def within(points: Iterable[Point], now_ms: int, days: int) -> list[Point]:
    return [p for p in points if p.ts >= now_ms - days * DAY_MS]


def seed_rows(points: Iterable[Point], now_ms: int, days: int) -> list[Point]:
    """What the seed's table held: token-usage points only (its Firehose kept only token-usage lines)."""
    return [p for p in within(points, now_ms, days) if p.metric == TOKEN]


def _sum_or_none(values: list[float]) -> float | None:
    return sum(values) if values else None


def _desc_nulls_last(rows: list[Row], key: Callable[[Row], Any]) -> list[Row]:
    with_value = sorted((r for r in rows if key(r) is not None), key=lambda r: -key(r))
    return with_value + [r for r in rows if key(r) is None]


def top_users_by_tokens(points: list[Point], now_ms: int) -> list[Row]:
    groups: dict[str | None, list[Point]] = defaultdict(list)
    for p in seed_rows(points, now_ms, 7):
        groups[p.get("user.id")].append(p)
    rows = []
    for uid, ps in groups.items():
        total = _sum_or_none([p.value for p in ps if p.metric == TOKEN])
        sessions = len({p.get("session.id") for p in ps} - {None})
        days = len({p.utc.date() for p in ps})
        rows.append(((uid or "")[:8] + "...", total, sessions, days, None if total is None else total * 0.000015))
    return _desc_nulls_last(rows, lambda r: r[1])[:10]


def token_usage_by_model(points: list[Point], now_ms: int) -> list[Row]:
    groups: dict[tuple[str | None, str | None], list[Point]] = defaultdict(list)
    for p in seed_rows(points, now_ms, 30):
        groups[(p.get("model"), p.get("type"))].append(p)
    rows = []
    for (model, typ), ps in groups.items():
        total = _sum_or_none([p.value for p in ps if p.metric == TOKEN])
        users = len({p.get("user.id") for p in ps} - {None})
        rows.append((model, typ, total, users, None if total is None else total * 0.000015))
    return _desc_nulls_last(rows, lambda r: r[2])


def activity_by_hour(points: list[Point], now_ms: int) -> list[Row]:
    groups: dict[int, list[Point]] = defaultdict(list)
    for p in seed_rows(points, now_ms, 7):
        groups[p.utc.hour].append(p)
    return [
        (hour, len({p.get("user.id") for p in ps} - {None}), _sum_or_none([p.value for p in ps if p.metric == TOKEN]))
        for hour, ps in sorted(groups.items())
    ]


def _list_cost(ps: list[Point]) -> float | None:
    priced = [
        p.value * PRICE_PER_MILLION[p.get("model")][p.get("type")] / 1e6  # type: ignore[index]
        for p in ps
        if p.metric == TOKEN and PRICE_PER_MILLION.get(p.get("model") or "")
    ]
    return sum(priced) if priced else None


def _tokens(ps: list[Point], typ: str) -> float:
    return sum(p.value for p in ps if p.metric == TOKEN and p.get("type") == typ)


def cost_by_model(points: list[Point], now_ms: int) -> list[Row]:
    groups: dict[str | None, list[Point]] = defaultdict(list)
    for p in within(points, now_ms, 7):
        if p.metric in (TOKEN, COST):
            groups[p.get("model")].append(p)
    rows = [
        (
            model,
            _tokens(ps, "input"),
            _tokens(ps, "output"),
            _tokens(ps, "cacheRead"),
            _tokens(ps, "cacheCreation"),
            _list_cost(ps),
            sum(p.value for p in ps if p.metric == COST),
        )
        for model, ps in groups.items()
    ]
    rows.sort(key=lambda r: r[0] or "")
    return _desc_nulls_last(rows, lambda r: r[5])


def cost_by_department_team(points: list[Point], now_ms: int) -> list[Row]:
    groups: dict[tuple[str, str], list[Point]] = defaultdict(list)
    for p in within(points, now_ms, 7):
        if p.metric in (TOKEN, COST):
            groups[(p.get("department") or "unspecified", p.get("team.id") or "unspecified")].append(p)
    rows = [
        (
            dept,
            team,
            len({p.user_key for p in ps} - {None}),
            sum(p.value for p in ps if p.metric == TOKEN),
            _list_cost(ps),
            sum(p.value for p in ps if p.metric == COST),
        )
        for (dept, team), ps in groups.items()
    ]
    rows.sort(key=lambda r: (r[0], r[1]))
    return _desc_nulls_last(rows, lambda r: r[4])


def cache_efficiency(points: list[Point], now_ms: int) -> list[Row]:
    groups: dict[str | None, list[Point]] = defaultdict(list)
    for p in within(points, now_ms, 7):
        if p.metric == TOKEN:
            groups[p.get("model")].append(p)
    rows = []
    for model, ps in groups.items():
        inp, read, create = _tokens(ps, "input"), _tokens(ps, "cacheRead"), _tokens(ps, "cacheCreation")
        eff = read / (read + create) if read + create else None
        share = read / (read + create + inp) if read + create + inp else None
        rows.append((model, inp, read, create, eff, share))
    return sorted(rows, key=lambda r: (-r[2], r[0] or ""))


def code_acceptance_by_language(points: list[Point], now_ms: int) -> list[Row]:
    groups: dict[str, list[Point]] = defaultdict(list)
    for p in within(points, now_ms, 7):
        if p.metric == DECISION:
            groups[p.get("language") or "unknown"].append(p)
    rows = []
    for lang, ps in groups.items():
        acc = sum(p.value for p in ps if p.get("decision") == "accept")
        rej = sum(p.value for p in ps if p.get("decision") == "reject")
        rows.append((lang, acc, rej, acc / (acc + rej) if acc + rej else None))
    return sorted(rows, key=lambda r: (-(r[1] + r[2]), r[0]))


def sessions_per_user(points: list[Point], now_ms: int) -> list[Row]:
    groups: dict[str, list[Point]] = defaultdict(list)
    for p in within(points, now_ms, 7):
        if p.user_key is not None:
            groups[p.user_key].append(p)
    rows = [
        (
            user,
            len({p.get("session.id") for p in ps} - {None}),
            sum(p.value for p in ps if p.metric == SESSION),
            len({p.utc.date() for p in ps}),
            sum(p.value for p in ps if p.metric == TOKEN),
            min(p.ts for p in ps),
            max(p.ts for p in ps),
        )
        for user, ps in groups.items()
    ]
    return sorted(rows, key=lambda r: (-r[1], r[0]))


def tpm_rpm_by_model(points: list[Point], now_ms: int) -> list[Row]:
    minutes: dict[str | None, dict[int, list[Point]]] = defaultdict(lambda: defaultdict(list))
    for p in within(points, now_ms, 7):
        if p.metric == TOKEN:
            minutes[p.get("model")][p.ts // 60_000].append(p)
    rows = []
    for model, per_minute in minutes.items():
        tpm = [
            sum(p.value for p in ps if p.get("type") in ("input", "output", "cacheCreation"))
            for ps in per_minute.values()
        ]
        rpm = [sum(1 for p in ps if p.get("type") == "input") for ps in per_minute.values()]
        rows.append((model, len(per_minute), max(tpm), sum(tpm) / len(tpm), max(rpm), sum(rpm) / len(rpm)))
    return sorted(rows, key=lambda r: (-r[2], r[0] or ""))


EXPECTED: dict[str, Callable[[list[Point], int], list[Row]]] = {
    "top_users_by_tokens": top_users_by_tokens,
    "token_usage_by_model": token_usage_by_model,
    "activity_by_hour": activity_by_hour,
    "cost_by_model": cost_by_model,
    "cost_by_department_team": cost_by_department_team,
    "cache_efficiency": cache_efficiency,
    "code_acceptance_by_language": code_acceptance_by_language,
    "sessions_per_user": sessions_per_user,
    "tpm_rpm_by_model": tpm_rpm_by_model,
}


def lake_totals(points: list[Point], size_ms: int, from_ms: int, to_ms: int) -> dict[tuple[str, int], float]:
    out: dict[tuple[str, int], float] = defaultdict(float)
    for p in points:
        if from_ms <= p.ts < to_ms:
            out[(p.metric, p.ts - p.ts % size_ms)] += p.value
    return dict(out)
