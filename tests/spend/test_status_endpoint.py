"""The budget status endpoint's handler against the emulator's table: allow/deny per developer, the most specific
limit, set budgets when enforced, and only changed statuses rewritten."""

from __future__ import annotations

import json
from typing import Any

import pytest

from consumers.dashboard.alerts import LogNotifier, MemoryAlertLedger, check_budgets
from consumers.dashboard.config import parse_config
from consumers.dashboard.data import DashboardData
from consumers.query.reader import DynamoRowReader
from consumers.spend import status_lambda
from consumers.spend.months import Month
from consumers.spend.status import StatusStore
from tests.spend.conftest import NOV_1, NOV_21, MonthTable

AS_OF = NOV_21 - 60_000  # 2026-11-20 23:59


def spent(month_table: MonthTable, user: str) -> float:
    return sum(p.usd or 0.0 for p in month_table.points if p.user == user and NOV_1 <= p.ts < NOV_21)


def config_doc(month_table: MonthTable) -> dict[str, Any]:
    ann, cat = spent(month_table, "ann@example.com"), spent(month_table, "cat@example.com")
    dov, eve = spent(month_table, "dov@example.com"), spent(month_table, "eve@example.com")
    return {
        "teams": {
            "payments": {"members": ["ann@example.com", "ben@example.com"], "per_user": {"monthly_cost_usd": 1e6}}
        },
        "groups": {
            "contractors": {"members": ["dov@example.com", "eve@example.com"], "monthly_cost_usd": dov + eve - 1}
        },
        "users": {"ann@example.com": {"monthly_cost_usd": ann - 0.5}, "cat@example.com": {"monthly_cost_usd": cat + 5}},
        "default_user": {"monthly_cost_usd": 1e6},
        "enforce_set_budgets": True,
    }


def call(user: str, groups: str = "", method: str = "GET") -> tuple[int, dict[str, Any]]:
    if method == "GET":
        event: dict[str, Any] = {"queryStringParameters": {"user": user, **({"groups": groups} if groups else {})}}
    else:
        event = {"body": json.dumps({"user": user, "groups": groups.split(",") if groups else []})}
    event["requestContext"] = {"http": {"method": method}, "authorizer": {"iam": {"userArn": "arn:aws:iam::1:role/h"}}}
    resp = status_lambda.handler(event)
    return resp["statusCode"], json.loads(resp["body"])


def test_endpoint_answers_from_the_stored_statuses(month_table: MonthTable, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = config_doc(month_table)
    config = parse_config(doc, "test")
    client = month_table.target.client("dynamodb")
    data = DashboardData(DynamoRowReader(client, month_table.names.table))
    result = check_budgets(config, data, MemoryAlertLedger(), LogNotifier(lambda _m: None), AS_OF)
    store = StatusStore(client, month_table.names.table)
    assert store.save(result.statuses, Month.containing(AS_OF), AS_OF) > 0
    assert store.save(result.statuses, Month.containing(AS_OF), AS_OF + 60_000) == 0  # nothing changed: no writes

    monkeypatch.setenv("CCSTREAM_TABLE", month_table.names.table)
    monkeypatch.setenv("AWS_ENDPOINT_URL", month_table.target.endpoint_url or "")
    monkeypatch.setenv("CCSTREAM_BUDGETS_JSON", json.dumps(doc))
    monkeypatch.delenv("CCSTREAM_BUDGETS", raising=False)
    monkeypatch.setattr(status_lambda, "_now_ms", lambda: AS_OF + 120_000)

    code, ann = call("ann@example.com")
    assert code == 200 and ann["allow"] is False and ann["reason"].startswith("own budget spent")
    assert ann["budget"]["spent"] == pytest.approx(spent(month_table, "ann@example.com"), abs=1e-6)
    assert ann["budget"]["limit_from"] == "user"  # her own entry beats the team's per-user default
    _, ben = call("ben@example.com", method="POST")
    assert ben["allow"] is True and ben["budget"]["limit_from"] == "team payments"
    _, cat = call("cat@example.com")
    assert cat["allow"] is True and cat["budget"]["limit"] == pytest.approx(
        doc["users"]["cat@example.com"]["monthly_cost_usd"]
    )
    _, dov = call("dov@example.com")  # within his own default, but his group spent its budget
    assert dov["allow"] is False and dov["reason"] == "group contractors budget spent"
    assert dov["sets"][0]["spent"] == pytest.approx(
        spent(month_table, "dov@example.com") + spent(month_table, "eve@example.com"), abs=1e-6
    )
    _, zed = call("zed@example.com", groups="contractors")  # never seen; in the group by identity groups
    assert zed["allow"] is False and zed["budget"] is None
    _, new = call("new@example.com")
    assert new["allow"] is True and new["reason"].startswith("no spend recorded this month")
    assert call("")[0] == 400
