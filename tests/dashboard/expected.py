"""The replayed fixture (`tests/fixtures/midnight.kinesis.jsonl`, captured from the real collector) and the figures
every widget must show, computed in plain Python from the OTLP the simulated CLI processes sent
(`midnight.otlp.jsonl.gz`, read by tests/e2e/independent.py with plain gzip/json).

Nothing here imports ccstream: prices are typed in from shared/reference/platform.md, users are `user.email`
falling back to `user.id`, windows are `ts - ts % size`. The dashboard's answers are compared with these.
"""

from __future__ import annotations

import base64
import fnmatch
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.e2e.independent import midnight_points

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "midnight.kinesis.jsonl"
MINUTE, HOUR, DAY = 60_000, 3_600_000, 86_400_000

TOKEN = "claude_code.token.usage"
COST = "claude_code.cost.usage"
LINES = "claude_code.lines_of_code.count"
DECISION = "claude_code.code_edit_tool.decision"
ACTIVE = "claude_code.active_time.total"
COMMITS = "claude_code.commit.count"
PRS = "claude_code.pull_request.count"
TYPES = ("input", "output", "cacheRead", "cacheCreation")

#: USD per million tokens (platform.md, 2026-11); cache writes at the 5-minute rate. First matching fragment wins.
PRICES: list[tuple[str, dict[str, float]]] = [
    ("claude-opus-4-5", {"input": 5, "cacheCreation": 6.25, "cacheRead": 0.5, "output": 25}),
    ("claude-opus-4-1", {"input": 15, "cacheCreation": 18.75, "cacheRead": 1.5, "output": 75}),
    ("claude-opus-4-2", {"input": 15, "cacheCreation": 18.75, "cacheRead": 1.5, "output": 75}),
    ("claude-sonnet-4", {"input": 3, "cacheCreation": 3.75, "cacheRead": 0.3, "output": 15}),
    ("claude-3-7-sonnet", {"input": 3, "cacheCreation": 3.75, "cacheRead": 0.3, "output": 15}),
    ("claude-haiku-4-5", {"input": 1, "cacheCreation": 1.25, "cacheRead": 0.1, "output": 5}),
    ("claude-3-5-haiku", {"input": 0.8, "cacheCreation": 1, "cacheRead": 0.08, "output": 4}),
]


def price(model: str, token_type: str) -> float:
    for fragment, table in PRICES:
        if fragment in model:
            return table[token_type] / 1_000_000
    raise AssertionError(f"fixture model {model} has no price in the test's table")


@dataclass(frozen=True)
class Point:
    ts: int
    metric: str
    value: float
    attrs: dict[str, str]

    @property
    def user(self) -> str:
        return self.attrs.get("user.email") or self.attrs["user.id"]


@dataclass(frozen=True)
class Record:
    partition_key: str
    sequence_number: int
    arrival_iso: str
    data: bytes


def read_fixture() -> tuple[list[Record], list[Point]]:
    """The captured records (what the pipeline reads) and the points the simulated CLI sent (what it must show)."""
    records = []
    for line in FIXTURE.read_text().splitlines():
        raw = json.loads(line)
        data = base64.b64decode(raw["Data"])
        records.append(
            Record(raw["PartitionKey"], int(raw["SequenceNumber"]), raw["ApproximateArrivalTimestamp"], data)
        )
    points = [Point(p.ts, p.metric, p.value, p.attrs) for p in midnight_points()]
    return records, points


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sum(points: list[Point], metric: str, **match: str) -> float:
    return sum(p.value for p in points if p.metric == metric and all(p.attrs.get(k) == v for k, v in match.items()))


def _priced(p: Point) -> float:
    return p.value * price(p.attrs["model"], p.attrs["type"])


@dataclass(frozen=True)
class QuotaRule:
    match: str
    tpm: float
    burndown: float


def expected(
    points: list[Point],
    from_ms: int,
    to_ms: int,
    now_ms: int,
    quotas: list[QuotaRule],
    team_budgets: dict[str, float],
    user_token_budget: float,
) -> dict[str, Any]:
    """Every widget's figures for [from_ms, to_ms) (a range aligned to whole hours), as the test expects them."""
    pts = [p for p in points if from_ms <= p.ts < to_ms]
    tokens = [p for p in pts if p.metric == TOKEN]
    out: dict[str, Any] = {}
    by_type = {t: _sum(tokens, TOKEN, type=t) for t in TYPES}
    out["total_tokens"] = {"total": round(sum(p.value for p in tokens)), **{t: round(v) for t, v in by_type.items()}}
    users = {p.user for p in pts}
    sessions = {p.attrs["session.id"] for p in pts if "session.id" in p.attrs}
    out["active_users"] = {"users": len(users), "sessions": len(sessions)}
    read, write = by_type["cacheRead"], by_type["cacheCreation"]
    out["cache_efficiency"] = {"efficiency": read / (read + write)}
    # per minute over the range (the page shows minute points for ranges up to 6 h)
    minutes = range(from_ms, to_ms, MINUTE)
    per_minute = defaultdict(float)
    for p in tokens:
        per_minute[p.ts - p.ts % MINUTE] += p.value
    out["tokens_over_time"] = {
        "total": round(sum(per_minute.values())),
        "series": [[iso(m), round(per_minute.get(m, 0.0))] for m in minutes],
    }
    added, removed = defaultdict(float), defaultdict(float)
    for p in pts:
        if p.metric == LINES:
            (added if p.attrs.get("type") == "added" else removed)[p.ts - p.ts % MINUTE] += p.value
    out["lines_over_time"] = {
        "added": round(sum(added.values())),
        "removed": round(sum(removed.values())),
        "series": [[iso(m), round(added.get(m, 0.0)), round(removed.get(m, 0.0))] for m in minutes],
    }
    hours = range(from_ms, to_ms, HOUR)
    users_by_hour = {h: {p.user for p in pts if h <= p.ts < h + HOUR} for h in hours}
    out["active_users_over_time"] = {"series": [[iso(h), len(users_by_hour[h])] for h in hours]}
    seen: set[str] = set()
    series = []
    for h in hours:
        fresh = users_by_hour[h] - seen
        seen |= fresh
        series.append([iso(h), len(fresh), len(seen)])
    out["users_over_time"] = {"total": len(seen), "series": series}
    models = defaultdict(float)
    for p in tokens:
        models[p.attrs["model"]] += p.value
    out["tokens_by_model"] = {"models": {m: round(v) for m, v in models.items()}}
    out["tokens_by_type"] = {"types": {t: round(v) for t, v in by_type.items()}}
    user_tokens, user_cost = defaultdict(float), defaultdict(float)
    for p in tokens:
        user_tokens[p.user] += p.value
        user_cost[p.user] += _priced(p)
    top = sorted(user_tokens, key=lambda u: (-user_tokens[u], u))[:10]
    top_cost = sorted(user_cost, key=lambda u: (-user_cost[u], u))[:10]
    out["top_users"] = {
        "by_tokens": [[u, round(user_tokens[u]), user_cost[u]] for u in top],
        "by_cost": [[u, user_cost[u], round(user_tokens[u])] for u in top_cost],
    }
    decisions = defaultdict(lambda: {"accept": 0.0, "reject": 0.0})
    tools = defaultdict(lambda: {"accept": 0.0, "reject": 0.0})
    for p in pts:
        if p.metric == DECISION:
            decisions[p.attrs["language"]][p.attrs["decision"]] += p.value
            tools[p.attrs["tool_name"]][p.attrs["decision"]] += p.value
    acc = sum(d["accept"] for d in decisions.values())
    rej = sum(d["reject"] for d in decisions.values())
    out["code_acceptance"] = {
        "overall": acc / (acc + rej),
        "languages": {
            lang: {
                "accepted": round(d["accept"]),
                "rejected": round(d["reject"]),
                "rate": d["accept"] / (d["accept"] + d["reject"]),
            }
            for lang, d in decisions.items()
        },
    }
    out["code_by_language"] = {"languages": {lang: round(d["accept"]) for lang, d in decisions.items() if d["accept"]}}
    out["operations_by_tool"] = {"tools": {t: {k: round(v) for k, v in d.items()} for t, d in tools.items()}}
    out["commits_prs"] = {"commits": round(_sum(pts, COMMITS)), "pull_requests": round(_sum(pts, PRS))}
    user_s, cli_s = _sum(pts, ACTIVE, type="user"), _sum(pts, ACTIVE, type="cli")
    by_hour_of_day = defaultdict(float)
    for p in pts:
        if p.metric == ACTIVE:
            by_hour_of_day[f"{datetime.fromtimestamp(p.ts / 1000, UTC).hour:02d}"] += p.value / 3600
    out["active_hours"] = {
        "hours": (user_s + cli_s) / 3600,
        "user": user_s / 3600,
        "cli": cli_s / 3600,
        "by_hour": dict(by_hour_of_day),
    }
    team_cost, team_reported = defaultdict(float), defaultdict(float)
    for p in pts:
        if "department" in p.attrs and "team.id" in p.attrs:
            key = (p.attrs["department"], p.attrs["team.id"])
            if p.metric == TOKEN:
                team_cost[key] += _priced(p)
            elif p.metric == COST:
                team_reported[key] += p.value
    out["cost_by_team"] = {
        "total": sum(team_cost.values()),
        "teams": {k: (team_cost[k], team_reported[k]) for k in team_cost.keys() | team_reported},
    }
    out["model_quota"] = _quota(points, to_ms, now_ms, quotas)
    out["budgets"] = _budgets(points, now_ms, team_budgets, user_token_budget)
    return out


def _quota(points: list[Point], to_ms: int, now_ms: int, quotas: list[QuotaRule]) -> dict[str, Any]:
    end = min(to_ms, now_ms - now_ms % MINUTE + (MINUTE if now_ms % MINUTE else 0))
    start = end - HOUR
    used: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for p in points:
        if p.metric != TOKEN or not start <= p.ts < end:
            continue
        model = p.attrs["model"]
        rule = next((q for q in quotas if fnmatch.fnmatchcase(model, q.match)), None)
        weight = {"input": 1.0, "cacheCreation": 1.0, "cacheRead": 0.0, "output": rule.burndown if rule else 1.0}
        used[model][p.ts - p.ts % MINUTE] += p.value * weight[p.attrs["type"]]
    models = {}
    for model, per_minute in used.items():
        peak_minute = max(per_minute, key=lambda m: (per_minute[m], -m))
        rule = next((q for q in quotas if fnmatch.fnmatchcase(model, q.match)), None)
        models[model] = {
            "peak_tpm": round(per_minute[peak_minute]),
            "peak_minute": iso(peak_minute),
            "quota_tpm": rule.tpm if rule else None,
        }
    return {"from": iso(start), "to": iso(end), "models": models}


def _budgets(points: list[Point], now_ms: int, team_budgets: dict[str, float], user_token_budget: float) -> dict:
    now = datetime.fromtimestamp(now_ms / 1000, UTC)
    month_start = int(datetime(now.year, now.month, 1, tzinfo=UTC).timestamp() * 1000)
    next_month = datetime(now.year + (now.month == 12), now.month % 12 + 1, 1, tzinfo=UTC)
    month_end = int(next_month.timestamp() * 1000)
    pts = [p for p in points if month_start <= p.ts < month_end and p.metric == TOKEN]
    out = {}

    today = now_ms - now_ms % DAY

    def entry(limit: float, daily: dict[int, float]) -> dict[str, Any]:
        """The forecast as budgets.example.yaml documents it: the mean of the complete days of the last 28 since
        the first active one, weekdays and weekends apart when each has two days or more (here: at most one day,
        so one mean; none: today's pace), times the days left; the day the limit is reached at that rate."""
        spent = sum(v for d, v in daily.items() if month_start <= d <= today)
        active = [d for d in range(today - 28 * DAY, today, DAY) if daily.get(d, 0) > 0]
        used = [d for d in range(active[0], today, DAY)] if active else []
        mean = sum(daily.get(d, 0.0) for d in used) / len(used) if used else 0.0
        if not used:  # no complete day yet: today's pace (at least an hour's worth of day)
            mean = daily.get(today, 0.0) / max((now_ms - today) / DAY, 1 / 24)
        ahead = [(today, 1 - (now_ms - today) / DAY)] + [(d, 1.0) for d in range(today + DAY, month_end, DAY)]
        projected = spent + mean * sum(w for _, w in ahead)
        exhaustion, total = (now_ms if spent >= limit else None), spent
        for day, w in ahead if exhaustion is None and mean > 0 else []:
            if total + w * mean >= limit:
                exhaustion = max(day, now_ms) + int((limit - total) / mean * DAY)
                break
            total += w * mean
        return {
            "limit": limit,
            "spent": spent,
            "share": spent / limit,
            "burn_per_day": mean,
            "projected_month_total": projected,
            "exhaustion_ms": exhaustion,
        }

    def daily_of(selected: list[Point], value: Any) -> dict[int, float]:
        out: dict[int, float] = defaultdict(float)
        for p in selected:
            out[p.ts - p.ts % DAY] += value(p)
        return out

    for team, limit in team_budgets.items():
        out[("team", team, "cost")] = entry(
            limit, daily_of([p for p in pts if p.attrs.get("team.id") == team], _priced)
        )
    for user in {p.user for p in points if month_start <= p.ts < month_end}:
        out[("user", user, "tokens")] = entry(
            user_token_budget, daily_of([p for p in pts if p.user == user], lambda p: p.value)
        )
    return {"month": f"{now.year:04d}-{now.month:02d}", "budgets": out}
