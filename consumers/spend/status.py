"""Budget status per developer and per set (team, group, org), kept in the table for a gateway to ask cheaply.

The budget check (scheduled Lambda, `ccstream budgets`, the dashboard's minute loop) stores one item per budget
status of the month — `pk=BUDGET#<YYYY-MM>`, `sk=STATUS#<scope>#<name>` (names over 200 bytes as
`sha256:<hex>`) — writing only the items whose decision or spend (to the cent or 0.1 % of the limit) changed
since the last run. The status endpoint (`status_lambda.py`) then answers "may this developer call Claude now?"
with a few GetItems: the developer's own budget decides (their limit is the most specific that applies); with
`enforce_set_budgets` the most specific spent set budget containing them (group, then team, then org) denies too.
Enforcement is the caller's choice: the endpoint only says allow or deny, and why.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from consumers.dashboard.budgets import BudgetStatus, BudgetSubject
from consumers.dashboard.config import DashboardConfig
from consumers.ddb import from_ddb, query_items, to_ddb, with_backoff
from consumers.retention import retention
from consumers.spend.months import Month

STATUS_TTL_AFTER_MONTH_S = retention("budget_status").value * 86400
_MAX_NAME_BYTES = 200


def status_sk(scope: str, name: str) -> str:
    if len(name.encode()) > _MAX_NAME_BYTES:
        name = "sha256:" + hashlib.sha256(name.encode()).hexdigest()
    return f"STATUS#{scope}#{name}"


@dataclass(frozen=True)
class StoredStatus(BudgetSubject):
    projected: float
    runout_ms: int | None
    source: str
    as_of_ms: int

    def to_json(self) -> dict[str, object]:
        return self.subject_json() | {
            "projected_month_total": round(self.projected, 6),
            "runs_out_ms": self.runout_ms,
            "limit_from": self.source,
            "as_of_ms": self.as_of_ms,
        }


def _num(v: Any) -> float:
    return float(v) if isinstance(v, Decimal | int | float) else 0.0


def _decisive(statuses: list[BudgetStatus]) -> dict[tuple[str, str], BudgetStatus]:
    """One status per subject: cost if the subject has a cost budget (budgets are by cost), else tokens."""
    out: dict[tuple[str, str], BudgetStatus] = {}
    for s in statuses:
        key = (s.scope, s.name)
        if key not in out or (s.kind == "cost" and out[key].kind != "cost"):
            out[key] = s
    return out


def _changed(old: dict[str, Any], s: BudgetStatus) -> bool:
    return (
        bool(old.get("over")) != s.over
        or old.get("budget_kind") != s.kind
        or _num(old.get("limit")) != s.limit
        or str(old.get("source", "")) != s.source
        or abs(_num(old.get("spent")) - s.spent) >= max(0.01, s.limit * 0.001)
    )


class StatusStore:
    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    def read_month(self, month: Month) -> dict[str, dict[str, Any]]:
        items = query_items(
            self.client,
            "Query(budget status)",
            TableName=self.table,
            KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
            ExpressionAttributeValues={":p": {"S": f"BUDGET#{month.name}"}, ":s": {"S": "STATUS#"}},
            ConsistentRead=True,
        )
        return {str(i["sk"]): i for i in items}

    def save(self, statuses: list[BudgetStatus], month: Month, as_of_ms: int) -> int:
        """Store the month's statuses; returns how many items were (re)written."""
        current = self.read_month(month)
        puts = []
        for (scope, name), s in sorted(_decisive(statuses).items()):
            sk = status_sk(scope, name)
            old = current.get(sk)
            if old is not None and not _changed(old, s):
                continue
            item = {
                "pk": f"BUDGET#{month.name}",
                "sk": sk,
                "kind": "BUDGET_STATUS",
                "scope": scope,
                "name": name,
                "budget_kind": s.kind,
                "limit": Decimal(str(s.limit)),
                "spent": Decimal(str(round(s.spent, 6))),
                "projected": Decimal(str(round(s.projected_month_total, 6))),
                "over": s.over,
                "source": s.source,
                "as_of_ms": as_of_ms,
                "ttl": month.end_ms // 1000 + STATUS_TTL_AFTER_MONTH_S,
            }
            if s.exhaustion_ms is not None:
                item["runout_ms"] = s.exhaustion_ms
            puts.append({"PutRequest": {"Item": to_ddb(item)}})
        for i in range(0, len(puts), 25):
            request: dict[str, Any] = {self.table: puts[i : i + 25]}
            while request:
                resp = with_backoff(functools.partial(self.client.batch_write_item, RequestItems=request), "BatchWrite")
                request = resp.get("UnprocessedItems") or {}
        return len(puts)

    def get(self, month: Month, subjects: list[tuple[str, str]]) -> dict[tuple[str, str], StoredStatus]:
        """The stored statuses of `subjects` (a handful: the developer and their sets), read one by one."""
        out: dict[tuple[str, str], StoredStatus] = {}
        for scope, name in subjects:
            key = {"pk": {"S": f"BUDGET#{month.name}"}, "sk": {"S": status_sk(scope, name)}}
            resp = with_backoff(
                functools.partial(self.client.get_item, TableName=self.table, Key=key, ConsistentRead=True), "GetItem"
            )
            if "Item" not in resp:
                continue
            item = from_ddb(resp["Item"])
            runout = item.get("runout_ms")
            out[(scope, name)] = StoredStatus(
                scope,
                name,
                str(item.get("budget_kind", "cost")),
                _num(item.get("limit")),
                _num(item.get("spent")),
                _num(item.get("projected")),
                None if runout is None else int(runout),
                str(item.get("source", "")),
                int(_num(item.get("as_of_ms"))),
            )
        return out


@dataclass(frozen=True)
class Decision:
    user: str
    allow: bool
    reason: str
    month: str
    own: StoredStatus | None
    sets: list[StoredStatus]

    def to_json(self) -> dict[str, object]:
        return {
            "user": self.user,
            "allow": self.allow,
            "reason": self.reason,
            "month": self.month,
            "budget": None if self.own is None else self.own.to_json(),
            "sets": [s.to_json() for s in self.sets],
        }


def decide(config: DashboardConfig, store: StatusStore, user: str, groups: tuple[str, ...], now_ms: int) -> Decision:
    """Allow or deny `user` now, from the stored statuses of this month."""
    month = Month.containing(now_ms)
    sets = [(scope, name) for scope, name, _ in config.sets_of(user, groups)]
    got = store.get(month, [("user", user), *sets])
    own = got.get(("user", user))
    stored_sets = [got[s] for s in sets if s in got]
    limit, source = config.user_limit_from(user, groups)
    if own is not None and own.over:
        return Decision(
            user,
            False,
            f"own budget spent ({own.spent:,.2f} of {own.limit:,.2f}, limit from {own.source})",
            month.name,
            own,
            stored_sets,
        )
    if config.enforce_set_budgets:
        spent_set = next((s for s in stored_sets if s.over), None)
        if spent_set is not None:
            return Decision(
                user, False, f"{spent_set.scope} {spent_set.name} budget spent", month.name, own, stored_sets
            )
    if own is None and limit is not None:
        reason = f"no spend recorded this month (limit from {source})"
    elif own is None:
        reason = "no budget applies"
    else:
        reason = f"within budget ({own.spent / own.limit:.0%} of {own.limit:,.2f}, limit from {own.source})"
    return Decision(user, True, reason, month.name, own, stored_sets)
