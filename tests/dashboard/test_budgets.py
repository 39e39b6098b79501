"""Budgets: spend, burn rate and projected exhaustion; alerts once per threshold per month (state in the table)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from consumers.aggregates.dimensions import signature_key, signature_of
from consumers.aggregates.partials import UserEntry, UserPartial, WindowPartial
from consumers.aws import AwsTarget
from consumers.dashboard.alerts import (
    Alert,
    DynamoAlertLedger,
    LogNotifier,
    MemoryAlertLedger,
    SnsNotifier,
    check_budgets,
)
from consumers.dashboard.budgets import Month, evaluate
from consumers.dashboard.config import DashboardConfig, Limit, ScopeLimit, load_config
from consumers.dashboard.data import DashboardData
from consumers.errors import ConfigError
from consumers.sink.base import RowKey
from consumers.spend.series import Amounts, SpendSeries
from tests.core.tables import create_metrics_table

DAY = 86_400_000
NOV_1 = 1_793_491_200_000  # 2026-11-01T00:00:00Z
DEC_1 = NOV_1 + 30 * DAY
COST = "ccstream.token_cost.usd"
TOKENS = "claude_code.token.usage"

CONFIG = DashboardConfig(
    teams={"payments": Limit(monthly_cost_usd=100.0), "search": Limit(monthly_tokens=1_000_000)},
    users={"ann@example.com": Limit(monthly_cost_usd=50.0)},
    default_user=Limit(monthly_tokens=500.0),
)


def team_window(spend: dict[str, tuple[float, float]]) -> WindowPartial:
    """Team → (USD, tokens) as one month's merged window."""
    w = WindowPartial()
    for team, (usd, tokens) in spend.items():
        key = signature_key(signature_of({"team.id": team, "department": "eng", "model": "m", "type": "input"}))
        w.add(key, COST, usd)
        w.add(key, TOKENS, tokens)
    return w


def users(spend: dict[str, tuple[float, float]]) -> UserPartial:
    return UserPartial({u: UserEntry({COST: usd, TOKENS: tok}, {"s"}) for u, (usd, tok) in spend.items()})


def series(as_of: int, teams: dict, people: dict) -> SpendSeries:
    """Month-to-date (USD, tokens) per team and user, spread evenly over the month's complete days so far."""
    month = Month.containing(as_of)
    out = SpendSeries(COST, month.start_ms - 28 * DAY, as_of)
    elapsed = range(month.start_ms, as_of - as_of % DAY, DAY)
    for day in elapsed:
        for team, (usd, tok) in teams.items():
            out.teams.setdefault(team, Amounts()).add(day, usd / len(elapsed), tok / len(elapsed))
            out.org.add(day, usd / len(elapsed), tok / len(elapsed))
        for user, (usd, tok) in people.items():
            out.users.setdefault(user, Amounts()).add(day, usd / len(elapsed), tok / len(elapsed))
    return out


def statuses(as_of: int, teams: dict, people: dict, config: DashboardConfig = CONFIG) -> dict:
    month = Month.containing(as_of)
    return {(s.scope, s.name, s.kind): s for s in evaluate(config, series(as_of, teams, people), month, as_of)}


def test_month_bounds() -> None:
    m = Month.containing(NOV_1 + 12 * DAY + 5)
    assert (m.name, m.start_ms, m.end_ms, m.days) == ("2026-11", NOV_1, DEC_1, 30)
    assert Month.containing(DEC_1 - 1).name == "2026-11" and Month.containing(DEC_1).name == "2026-12"


def test_spend_forecast_and_run_out() -> None:
    as_of = NOV_1 + 10 * DAY  # ten days into November, 8.5 USD a day
    got = statuses(as_of, {"payments": (85.0, 9e6), "search": (1.0, 0.0)}, {"bob@example.com": (3.0, 1000.0)})
    pay = got[("team", "payments", "cost")]
    assert (pay.spent, pay.limit) == pytest.approx((85.0, 100.0))
    assert pay.burn_per_day == pytest.approx(8.5)  # the ten days before (none earlier: no idle weeks counted)
    assert pay.projected_month_total == pytest.approx(85.0 + 8.5 * 20)
    assert pay.projected_low == pytest.approx(pay.projected_high)  # the same every day: no spread, no band
    assert pay.exhaustion_ms == pytest.approx(as_of + 15 / 8.5 * DAY, abs=2)  # 15 USD left at 8.5 a day
    assert pay.crossed((80, 90, 100)) == [80]
    search = got[("team", "search", "tokens")]
    assert (search.spent, search.burn_per_day, search.exhaustion_ms) == (0.0, 0.0, None)
    bob = got[("user", "bob@example.com", "tokens")]  # default budget: every user seen this month
    assert bob.exhaustion_ms == as_of and bob.crossed((80, 90, 100)) == [80, 90, 100]
    ann = got[("user", "ann@example.com", "cost")]  # listed, not seen: spends nothing
    assert (ann.spent, ann.exhaustion_ms) == (0.0, None)
    assert ("user", "ann@example.com", "tokens") not in got  # her own budget replaces the default


def test_exhaustion_after_the_month_is_not_projected() -> None:
    got = statuses(NOV_1 + 20 * DAY, {"payments": (40.0, 0.0)}, {})
    assert got[("team", "payments", "cost")].exhaustion_ms is None  # 2/day → 100 only after 50 days


def test_org_group_team_and_user_budgets_most_specific_wins() -> None:
    config = DashboardConfig(
        org=ScopeLimit(monthly_cost_usd=1000.0, per_user=Limit(monthly_cost_usd=300.0)),
        teams={"payments": ScopeLimit(monthly_cost_usd=100.0, members=("cy@x", "di@x"), per_user=Limit(50.0))},
        groups={"contractors": ScopeLimit(monthly_cost_usd=40.0, members=("cy@x", "ed@x"), per_user=Limit(20.0))},
        users={"di@x": Limit(monthly_cost_usd=70.0)},
    )
    people = {"cy@x": (12.0, 1.0), "di@x": (60.0, 1.0), "ed@x": (30.0, 1.0), "fo@x": (5.0, 1.0)}
    got = statuses(NOV_1 + 5 * DAY, {"payments": (72.0, 2.0), "search": (35.0, 2.0)}, people, config)
    assert got[("org", "org", "cost")].spent == pytest.approx(107.0)  # every team's spend
    assert got[("team", "payments", "cost")].spent == pytest.approx(72.0)
    assert got[("group", "contractors", "cost")].spent == pytest.approx(42.0)  # cy + ed
    limits = {u: (got[("user", u, "cost")].limit, got[("user", u, "cost")].source) for u in people}
    assert limits == {
        "cy@x": (20.0, "group contractors"),  # group beats team
        "di@x": (70.0, "user"),  # own entry beats team
        "ed@x": (20.0, "group contractors"),
        "fo@x": (300.0, "org"),  # seen, in no set: the org's per-user default
    }
    assert config.user_limit_from("zz@x", groups=("contractors",)) == (Limit(20.0), "group contractors")


class MonthReader:
    """A RowReader over hand-made 1d rows: {(kind, day start): doc}."""

    def __init__(self, rows: dict[tuple[str, int], dict]) -> None:
        self.rows_by_key = rows

    def rows(self, kind: str, size: str, from_ms: int, to_ms: int) -> Iterator[tuple[str, RowKey, dict]]:
        for (k, start), doc in sorted(self.rows_by_key.items()):
            if k == kind and size == "1d" and from_ms <= start < to_ms:
                yield "shard-0", RowKey(k, "1d", start), doc


def month_reader(team_usd: float, bob_tokens: float, month_start: int = NOV_1) -> MonthReader:
    return MonthReader(
        {
            ("W", month_start + 2 * DAY): team_window({"payments": (team_usd, 0.0)}).to_doc(),
            ("U", month_start + 2 * DAY): users({"bob@example.com": (0.0, bob_tokens)}).to_doc(),
        }
    )


def test_alerts_once_per_threshold_per_month() -> None:
    ledger, sent = MemoryAlertLedger(), []
    notifier = LogNotifier(sent.append)
    now = NOV_1 + 10 * DAY
    first = check_budgets(CONFIG, DashboardData(month_reader(85.0, 100.0)), ledger, notifier, now)
    assert sorted((a.status.key, a.threshold) for a in first.sent) == [("team#payments#cost", 80)]
    again = check_budgets(CONFIG, DashboardData(month_reader(85.0, 100.0)), ledger, notifier, now + 60_000)
    assert again.sent == []
    more = check_budgets(CONFIG, DashboardData(month_reader(101.0, 450.0)), ledger, notifier, now + 120_000)
    assert sorted((a.status.key, a.threshold) for a in more.sent) == [
        ("team#payments#cost", 90),
        ("team#payments#cost", 100),
        ("user#bob@example.com#tokens", 80),
        ("user#bob@example.com#tokens", 90),
    ]
    dec_3 = DEC_1 + 2 * DAY + 3_600_000  # as of the 3rd, the rows' day (not before it)
    december = check_budgets(CONFIG, DashboardData(month_reader(85.0, 0.0, DEC_1)), ledger, notifier, dec_3)
    assert [(a.month, a.threshold) for a in december.sent] == [("2026-12", 80)]
    assert len(sent) == 6 and all(line.startswith("BUDGET ALERT ccstream budget") for line in sent)


class FailingNotifier:
    def send(self, alert: Alert) -> None:
        raise ConnectionError("SNS unreachable")


def test_an_alert_that_could_not_be_sent_is_sent_by_the_next_check() -> None:
    ledger, sent = MemoryAlertLedger(), []
    now = NOV_1 + 10 * DAY
    with pytest.raises(ConnectionError):
        check_budgets(CONFIG, DashboardData(month_reader(85.0, 100.0)), ledger, FailingNotifier(), now)
    retry = check_budgets(CONFIG, DashboardData(month_reader(85.0, 100.0)), ledger, LogNotifier(sent.append), now)
    assert [(a.status.key, a.threshold) for a in retry.sent] == [("team#payments#cost", 80)]


@pytest.mark.emulator
def test_dynamo_ledger_claims_each_alert_exactly_once(aws: AwsTarget) -> None:
    client = aws.client("dynamodb")
    table = f"budget-{uuid.uuid4().hex[:8]}"
    create_metrics_table(client, table)
    status = statuses(NOV_1 + 10 * DAY, {"payments": (85.0, 0.0)}, {})[("team", "payments", "cost")]
    alert = Alert("2026-11", 80, status)
    first, second = DynamoAlertLedger(client, table), DynamoAlertLedger(client, table)  # e.g. Lambda and local
    assert first.claim(alert, NOV_1) is True
    assert second.claim(alert, NOV_1 + 1) is False
    assert second.claim(Alert("2026-11", 90, status), NOV_1) is True
    second.release(Alert("2026-11", 90, status))
    assert first.claim(Alert("2026-11", 90, status), NOV_1) is True
    item = client.get_item(
        TableName=table, Key={"pk": {"S": "BUDGET#2026-11"}, "sk": {"S": "ALERT#team#payments#cost#80"}}
    )["Item"]
    assert item["threshold"] == {"N": "80"} and int(item["ttl"]["N"]) > DEC_1 // 1000


@pytest.mark.emulator
def test_sns_notifier_publishes_subject_and_figures(aws: AwsTarget) -> None:
    sns, sqs = aws.client("sns"), aws.client("sqs")
    topic = sns.create_topic(Name=f"budget-{uuid.uuid4().hex[:8]}")["TopicArn"]
    queue = sqs.create_queue(QueueName=f"budget-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    status = statuses(NOV_1 + 10 * DAY, {"payments": (85.0, 0.0)}, {})[("team", "payments", "cost")]
    SnsNotifier(sns, topic).send(Alert("2026-11", 80, status))
    messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", [])
    assert len(messages) == 1
    body = messages[0]["Body"]
    assert "team payments for 2026-11 has reached 80%: 85.00 of 100.00 USD (85.0%)" in body
    detail = json.loads(body.split("\n\n", 1)[1])
    assert (detail["threshold"], detail["spent"], detail["burn_per_day"]) == (80, 85.0, 8.5)


def test_example_config_loads_and_bad_files_say_how_to_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    example = Path(__file__).resolve().parents[2] / "budgets.example.yaml"
    config = load_config(example)
    assert config.has_budgets and config.teams["payments-api"].monthly_cost_usd == 2500
    assert config.quota_for("global.anthropic.claude-opus-4-5-20251101-v1:0").output_burndown == 5
    bad = tmp_path / "b.yaml"
    bad.write_text("teams:\n  x: {monthly_cost: 5}\n")
    with pytest.raises(ConfigError, match="unknown field `monthly_cost`"):
        load_config(bad)
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.yaml")
    monkeypatch.delenv("CCSTREAM_BUDGETS", raising=False)
    monkeypatch.setenv("CCSTREAM_BUDGETS_JSON", '{"teams": {"t": {"monthly_tokens": 10}}}')
    assert load_config().teams["t"].monthly_tokens == 10
    monkeypatch.delenv("CCSTREAM_BUDGETS_JSON")
    assert not load_config().has_budgets


def test_a_confident_forecast_over_the_limit_alerts_once_before_the_spend_does() -> None:
    config = DashboardConfig(teams={"payments": Limit(monthly_cost_usd=200.0)})
    days = {("W", NOV_1 + d * DAY): team_window({"payments": (8.5, 0.0)}).to_doc() for d in range(10)}
    ledger, sent = MemoryAlertLedger(), []
    now = NOV_1 + 10 * DAY  # 85 spent, 8.5 every day: 255 by the month's end, no spread
    first = check_budgets(config, DashboardData(MonthReader(days)), ledger, LogNotifier(sent.append), now)
    assert [(a.status.key, a.threshold) for a in first.sent] == [("team#payments#cost", 0)]
    assert first.sent[0].subject == "ccstream budget forecast over: team payments cost 2026-11"
    assert "is forecast to be exceeded" in first.sent[0].message
    again = check_budgets(config, DashboardData(MonthReader(days)), ledger, LogNotifier(sent.append), now + DAY)
    assert again.sent == []  # once per budget and month
    off = DashboardConfig(teams=config.teams, forecast_alerts=False)
    assert (
        check_budgets(off, DashboardData(MonthReader(days)), MemoryAlertLedger(), LogNotifier(sent.append), now).sent
        == []
    )
