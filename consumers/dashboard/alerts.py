"""Budget alerts: when spend crosses a threshold (80/90/100 % by default), alert once per threshold per month.

"Once" is kept in the table, not in memory, so restarts, several dashboards and the scheduled Lambda never repeat
an alert: each (month, budget, threshold) is claimed with a conditional put of `pk=BUDGET#<YYYY-MM>`,
`sk=ALERT#<scope>#<name>#<kind>#<threshold>`; only the caller whose put succeeds sends the alert. Alerts go to SNS
when a topic ARN is configured (`CCSTREAM_ALERT_TOPIC_ARN`), otherwise to the log.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from botocore.exceptions import ClientError

from consumers.aggregates.partials import UserPartial, WindowPartial
from consumers.dashboard.budgets import BudgetStatus, Month, evaluate
from consumers.dashboard.config import DashboardConfig
from consumers.dashboard.data import DashboardData
from consumers.sink.dynamodb import to_ddb, with_backoff

log = logging.getLogger(__name__)

ALERT_TOPIC_ENV = "CCSTREAM_ALERT_TOPIC_ARN"
#: Alert items outlive their month by a year (audit), then DynamoDB's TTL removes them.
ALERT_TTL_AFTER_MONTH_S = 400 * 86400


@dataclass(frozen=True)
class Alert:
    month: str
    threshold: int
    status: BudgetStatus

    @property
    def subject(self) -> str:
        s = self.status
        return f"ccstream budget {self.threshold}%: {s.scope} {s.name} {s.kind} {self.month}"[:100]

    @property
    def message(self) -> str:
        s = self.status
        unit = "USD" if s.kind == "cost" else "tokens"
        when = (
            datetime.fromtimestamp(s.exhaustion_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")
            if s.exhaustion_ms is not None
            else "not this month"
        )
        text = (
            f"The {s.kind} budget of {s.scope} {s.name} for {self.month} has reached {self.threshold}%: "
            f"{s.spent:,.2f} of {s.limit:,.2f} {unit} ({s.share * 100:.1f}%). Burn rate {s.burn_per_day:,.2f} "
            f"{unit}/day, projected month total {s.projected_month_total:,.2f}, exhausted: {when}."
        )
        detail = {
            "month": self.month,
            "threshold": self.threshold,
            "scope": s.scope,
            "name": s.name,
            "kind": s.kind,
            "limit": s.limit,
            "spent": s.spent,
            "burn_per_day": s.burn_per_day,
            "exhaustion_ms": s.exhaustion_ms,
        }
        return f"{text}\n\n{json.dumps(detail, sort_keys=True)}"


class AlertLedger(Protocol):
    def claim(self, alert: Alert, now_ms: int) -> bool:
        """True exactly once per (month, budget, threshold): the caller that gets True sends the alert."""
        ...

    def release(self, alert: Alert) -> None:
        """Undo a claim whose alert could not be sent, so the next check sends it."""
        ...


class Notifier(Protocol):
    def send(self, alert: Alert) -> None: ...


class DynamoAlertLedger:
    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    def claim(self, alert: Alert, now_ms: int) -> bool:
        item = {
            "pk": f"BUDGET#{alert.month}",
            "sk": f"ALERT#{alert.status.key}#{alert.threshold}",
            "kind": "BUDGET_ALERT",
            "scope": alert.status.scope,
            "name": alert.status.name,
            "budget_kind": alert.status.kind,
            "threshold": alert.threshold,
            "alerted_ms": now_ms,
            "ttl": Month.containing(now_ms).end_ms // 1000 + ALERT_TTL_AFTER_MONTH_S,
        }
        try:
            with_backoff(
                lambda: self.client.put_item(
                    TableName=self.table, Item=to_ddb(item), ConditionExpression="attribute_not_exists(pk)"
                ),
                "PutItem(budget alert)",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def release(self, alert: Alert) -> None:
        key = {"pk": f"BUDGET#{alert.month}", "sk": f"ALERT#{alert.status.key}#{alert.threshold}"}
        with_backoff(lambda: self.client.delete_item(TableName=self.table, Key=to_ddb(key)), "DeleteItem(alert)")


@dataclass
class MemoryAlertLedger:
    claimed: set[tuple[str, str, int]] = field(default_factory=set)

    def claim(self, alert: Alert, now_ms: int) -> bool:
        key = (alert.month, alert.status.key, alert.threshold)
        if key in self.claimed:
            return False
        self.claimed.add(key)
        return True

    def release(self, alert: Alert) -> None:
        self.claimed.discard((alert.month, alert.status.key, alert.threshold))


class SnsNotifier:
    def __init__(self, client: Any, topic_arn: str) -> None:
        self.client = client
        self.topic_arn = topic_arn

    def send(self, alert: Alert) -> None:
        self.client.publish(TopicArn=self.topic_arn, Subject=alert.subject, Message=alert.message)


@dataclass
class LogNotifier:
    write: Callable[[str], None] = field(default=log.warning)

    def send(self, alert: Alert) -> None:
        self.write(f"BUDGET ALERT {alert.subject}: {alert.message.splitlines()[0]}")


def notifier_from_env(sns_client: Callable[[], Any]) -> Notifier:
    """SNS when `CCSTREAM_ALERT_TOPIC_ARN` is set (on AWS: the stack's alarm topic), otherwise the log."""
    topic = os.environ.get(ALERT_TOPIC_ENV, "").strip()
    return SnsNotifier(sns_client(), topic) if topic else LogNotifier()


@dataclass(frozen=True)
class CheckResult:
    month: str
    statuses: list[BudgetStatus]
    sent: list[Alert]


def month_statuses(config: DashboardConfig, data: DashboardData, month: Month, as_of_ms: int) -> list[BudgetStatus]:
    """Budget statuses of `month` as of `as_of_ms`, from its 1d rows."""
    window = data.windows("1d", month.start_ms, month.end_ms)
    users = data.users("1d", month.start_ms, month.end_ms)
    merged_w, merged_u = WindowPartial(), UserPartial()
    for p in window.values():
        merged_w.merge(p)
    for u in users.values():
        merged_u.merge(u)
    return evaluate(config, merged_w, merged_u, month, as_of_ms)


def check_budgets(
    config: DashboardConfig, data: DashboardData, ledger: AlertLedger, notifier: Notifier, now_ms: int
) -> CheckResult:
    """Evaluate this month's budgets and send one alert per newly crossed threshold."""
    month = Month.containing(now_ms)
    statuses = month_statuses(config, data, month, now_ms)
    sent = []
    for st in statuses:
        for threshold in st.crossed(config.thresholds):
            alert = Alert(month.name, threshold, st)
            if ledger.claim(alert, now_ms):
                try:
                    notifier.send(alert)
                except Exception:
                    ledger.release(alert)  # not sent: the next check tries again
                    raise
                sent.append(alert)
    return CheckResult(month.name, statuses, sent)
