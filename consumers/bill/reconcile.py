"""Bill against telemetry for one month: per developer, team and model; what only one side saw.

The bill side is the month's Claude usage lines of CUR 2.0, each attributed to a developer (`attribution.py`) or
left unattributed. The telemetry side is the lake's token usage priced with the effective rate card (the same
prices the consumers store). Per developer the two USD figures agree when their difference is within the
tolerance (`Attribution.tolerance` of the larger side, or `tolerance_usd`); otherwise it is a mismatch. A developer
only on the bill is Bedrock use the telemetry never saw (a CLI without telemetry, another tool using the same
identity); one only in telemetry is spend with no matching bill line (another account, a direct API key, an
identity the bill does not attribute); one billed whose telemetry the rate card cannot price is `unpriced`
(add the model to the pricing overrides). Teams take a developer's telemetry team (most tokens), else the profile's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from consumers.bill.attribution import Attribution, attribute
from consumers.bill.cur import CurLine, model_key


@dataclass(frozen=True)
class TelemetryRow:
    user: str
    team: str | None
    model: str
    token_type: str
    tokens: float
    usd: float | None  # None: the rate card has no price for this model


@dataclass(frozen=True)
class Line:
    key: str
    billed_usd: float
    telemetry_usd: float
    status: str = ""
    team: str = ""
    how: str = ""

    @property
    def difference(self) -> float:
        return self.billed_usd - self.telemetry_usd

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "key": self.key,
            "billed_usd": round(self.billed_usd, 6),
            "telemetry_usd": round(self.telemetry_usd, 6),
            "difference_usd": round(self.difference, 6),
        }
        for name in ("status", "team", "how"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        return out


@dataclass
class Report:
    month: str
    prices: dict[str, object]
    users: list[Line] = field(default_factory=list)
    teams: list[Line] = field(default_factory=list)
    models: list[Line] = field(default_factory=list)
    unattributed: list[tuple[str, float]] = field(default_factory=list)  # (principal, USD)
    unpriced_tokens: dict[str, float] = field(default_factory=dict)  # telemetry model → tokens

    def with_status(self, status: str) -> list[Line]:
        return [u for u in self.users if u.status == status]

    @property
    def billed_usd(self) -> float:
        return sum(u.billed_usd for u in self.users) + self.unattributed_usd

    @property
    def telemetry_usd(self) -> float:
        return sum(u.telemetry_usd for u in self.users)

    @property
    def unattributed_usd(self) -> float:
        return sum(c for _, c in self.unattributed)

    def to_json(self) -> dict[str, object]:
        return {
            "month": self.month,
            "prices": self.prices,
            "totals": {
                "billed_usd": round(self.billed_usd, 6),
                "telemetry_usd": round(self.telemetry_usd, 6),
                "unattributed_usd": round(self.unattributed_usd, 6),
                "bill_only_usd": round(sum(u.billed_usd for u in self.with_status("bill_only")), 6),
                "telemetry_only_usd": round(sum(u.telemetry_usd for u in self.with_status("telemetry_only")), 6),
                "mismatched_users": len(self.with_status("mismatch")),
            },
            "users": [u.to_json() for u in self.users],
            "teams": [t.to_json() for t in self.teams],
            "models": [m.to_json() for m in self.models],
            "unattributed": [{"principal": p, "billed_usd": round(c, 6)} for p, c in self.unattributed],
            "unpriced_tokens": self.unpriced_tokens,
        }


def _status(billed: float, telemetry: float, unpriced: bool, rules: Attribution) -> str:
    if billed > 0 and telemetry <= 0:
        return "unpriced" if unpriced else "bill_only"
    if telemetry > 0 and billed <= 0:
        return "telemetry_only"
    within = abs(billed - telemetry) <= max(rules.tolerance_usd, rules.tolerance * max(billed, telemetry))
    return "match" if within else "mismatch"


def reconcile(
    month: str, prices: dict[str, object], lines: list[CurLine], telemetry: list[TelemetryRow], rules: Attribution
) -> Report:
    report = Report(month, prices)
    billed: dict[str, float] = defaultdict(float)
    how: dict[str, set[str]] = defaultdict(set)
    profile_team: dict[str, str] = {}
    billed_model: dict[str, float] = defaultdict(float)
    unattributed: dict[str, float] = defaultdict(float)
    billed_team_direct: dict[str, float] = defaultdict(float)
    for line in lines:
        billed_model[line.model] += line.cost
        owner = attribute(rules, line.principal, line.resource_id, line.tags)
        if owner.user is None:
            if owner.team is not None:
                billed_team_direct[owner.team] += line.cost
            unattributed[line.principal or "(no principal)"] += line.cost
            continue
        user = owner.user.lower()
        billed[user] += line.cost
        how[user].add(owner.how)
        if owner.team:
            profile_team[user] = owner.team
    spent: dict[str, float] = defaultdict(float)
    unpriced_users: set[str] = set()
    team_tokens: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    telemetry_model: dict[str, float] = defaultdict(float)
    for row in telemetry:
        user = row.user.lower()
        team_tokens[user][row.team or ""] += row.tokens
        if row.usd is None:
            report.unpriced_tokens[row.model] = report.unpriced_tokens.get(row.model, 0.0) + row.tokens
            unpriced_users.add(user)
            continue
        spent[user] += row.usd
        telemetry_model[model_key(row.model) or row.model] += row.usd

    def team_of(user: str) -> str:
        tokens = team_tokens.get(user)
        if tokens:
            best = max(sorted(tokens), key=lambda t: tokens[t])
            if best:
                return best
        return profile_team.get(user, "")

    teams_b: dict[str, float] = defaultdict(float, billed_team_direct)
    teams_t: dict[str, float] = defaultdict(float)
    for user in sorted(billed.keys() | spent.keys() | team_tokens.keys()):
        b, t = billed.get(user, 0.0), spent.get(user, 0.0)
        team = team_of(user)
        report.users.append(
            Line(user, b, t, _status(b, t, user in unpriced_users, rules), team, ", ".join(sorted(how.get(user, ()))))
        )
        teams_b[team] += b
        teams_t[team] += t
    report.teams = [
        Line(team or "(none)", teams_b[team], teams_t[team]) for team in sorted(teams_b.keys() | teams_t.keys())
    ]
    report.models = [
        Line(m, billed_model.get(m, 0.0), telemetry_model.get(m, 0.0))
        for m in sorted(billed_model.keys() | telemetry_model.keys())
    ]
    report.unattributed = sorted(unattributed.items(), key=lambda kv: (-kv[1], kv[0]))
    return report
