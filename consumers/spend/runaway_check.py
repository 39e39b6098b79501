"""One runaway check: read the recent 1-minute rows and the hourly history, detect, alert once per episode.

Baselines are learnt from the 1h rows of the last `history_days` and kept for the hour (`BaselineCache`): a check
every minute reads only the last two 1-minute windows. An alert is sent once per episode: the first check that sees
a subject over its threshold claims `pk=RUNAWAY#<scope>#<subject>` with a conditional put (so several checkers —
the scheduled Lambda, a local `ccstream runaway --watch` — never both send), and every later check that still sees
it extends the episode; after `quiet_minutes` without a detection the next one is a new episode and a new alert.
Alerts go to SNS (`CCSTREAM_ALERT_TOPIC_ARN`) with the numbers and a link to the dashboard around the spike.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from botocore.exceptions import ClientError

from consumers.aggregates.partials import UserPartial, WindowPartial
from consumers.aggregates.pricing import PRICED_COST
from consumers.dashboard.alerts import ALERT_TOPIC_ENV
from consumers.dashboard.data import DashboardData
from consumers.ddb import to_ddb, with_backoff
from consumers.query.reader import RowRecord
from consumers.retention import retention
from consumers.spend.months import DAY_MS, MINUTE_MS
from consumers.spend.runaway import HOUR_MS, Baseline, Observed, RunawaySettings, Spike, add_hour, detect
from consumers.windows.definitions import iso
from schemas.catalogue import TOKEN_USAGE

log = logging.getLogger(__name__)

METRICS = {"usd": PRICED_COST, "tokens": TOKEN_USAGE}


@dataclass
class BaselineCache:
    """Baselines per (scope, subject, metric), learnt once per hour."""

    hour_ms: int = -1
    by_subject: dict[tuple[str, str], dict[str, Baseline]] = field(default_factory=dict)

    def refresh(self, data: DashboardData, now_ms: int, settings: RunawaySettings) -> None:
        """Learn from the hourly rows of the history, streamed one hour at a time (every shard's partials of an
        hour merged, folded into per-slot peaks, then dropped): memory stays one hour of all subjects, not weeks."""
        hour = now_ms - now_ms % HOUR_MS
        if hour == self.hour_ms:
            return
        start = hour - settings.history_days * DAY_MS
        peaks: dict[tuple[str, str, str], dict[tuple[bool, int], float]] = {}
        for h, up in _hours(data.reader.rows("U", "1h", start, hour), UserPartial):
            for user, entry in up.users.items():
                for name, metric in METRICS.items():
                    add_hour(peaks.setdefault(("user", user, name), {}), h, entry.sums.get(metric, 0.0), settings)
        if settings.teams:
            for h, w in _hours(data.reader.rows("W", "1h", start, hour), WindowPartial):
                for (team,), sums in w.group_by(("team.id",)).items():
                    for name, metric in METRICS.items():
                        add_hour(peaks.setdefault(("team", team, name), {}), h, sums.get(metric, 0.0), settings)
        by_subject: dict[tuple[str, str], dict[str, Baseline]] = {}
        for (scope, subject, name), slots in peaks.items():
            by_subject.setdefault((scope, subject), {})[name] = Baseline(slots, max(slots.values(), default=0.0))
        self.by_subject = by_subject
        self.hour_ms = hour

    def of(self, scope: str, subject: str) -> dict[str, Baseline]:
        return self.by_subject.get((scope, subject), {})


def _hours(rows: Iterator[RowRecord], kind: Any) -> Iterator[tuple[int, Any]]:
    """(hour start, every shard's partials of that hour merged) from rows sorted by window start; `kind` is
    UserPartial or WindowPartial."""
    current, merged = -1, kind()
    started = False
    for _, key, doc in rows:
        if key.start_ms != current:
            if started:
                yield current, merged
            current, merged, started = key.start_ms, kind(), True
        merged.merge(kind.from_doc(doc))
    if started:
        yield current, merged


def observe(data: DashboardData, now_ms: int, settings: RunawaySettings) -> list[Observed]:
    current = now_ms - now_ms % MINUTE_MS
    out: dict[tuple[str, str], Observed] = {}
    for m, up in data.users("1m", current - MINUTE_MS, current + MINUTE_MS).items():
        for user, entry in up.users.items():
            obs = out.setdefault(("user", user), Observed("user", user))
            for name, metric in METRICS.items():
                obs.minutes.setdefault(name, {})[m] = entry.sums.get(metric, 0.0)
    if settings.teams:
        for m, w in data.windows("1m", current - MINUTE_MS, current + MINUTE_MS).items():
            for (team,), sums in data.group(w, ("team.id",)).items():
                obs = out.setdefault(("team", team), Observed("team", team))
                for name, metric in METRICS.items():
                    obs.minutes.setdefault(name, {})[m] = sums.get(metric, 0.0)
    return [out[k] for k in sorted(out)]


@dataclass(frozen=True)
class RunawayAlert:
    spike: Spike
    link: str

    @property
    def subject(self) -> str:
        s = self.spike
        return f"ccstream runaway: {s.scope} {s.subject} {s.metric}/min over baseline"[:100]

    @property
    def message(self) -> str:
        s = self.spike
        unit = "USD" if s.metric == "usd" else "tokens"
        text = (
            f"{s.scope} {s.subject} is spending {s.rate_per_minute:,.2f} {unit}/min (last two minutes), over its "
            f"threshold of {s.threshold:,.2f} {unit}/min (usual peak at this hour {s.baseline_peak:,.2f}). "
            f"First minute over: {iso(s.first_minute_ms)}. Dashboard: {self.link}"
        )
        detail = {
            "scope": s.scope,
            "subject": s.subject,
            "metric": s.metric,
            "rate_per_minute": s.rate_per_minute,
            "threshold": s.threshold,
            "baseline_peak": s.baseline_peak,
            "first_minute": iso(s.first_minute_ms),
            "detected": iso(s.now_ms),
            "link": self.link,
        }
        return f"{text}\n\n{json.dumps(detail, sort_keys=True)}"


def link_for(spike: Spike, base: str) -> str:
    start = spike.first_minute_ms - HOUR_MS
    end = spike.now_ms + 5 * MINUTE_MS
    fmt = "%Y-%m-%dT%H:%MZ"
    a, b = (datetime.fromtimestamp(t / 1000, UTC).strftime(fmt) for t in (start, end))
    return f"{base.rstrip('/')}/?from={a}&to={b}"


class EpisodeLedger(Protocol):
    def claim(self, spike: Spike, now_ms: int, quiet_ms: int) -> bool: ...
    def release(self, spike: Spike) -> None: ...


def _pk(spike: Spike) -> str:
    subject = (
        spike.subject if len(spike.subject.encode()) <= 200 else hashlib.sha256(spike.subject.encode()).hexdigest()
    )
    return f"RUNAWAY#{spike.scope}#{subject}"


class DynamoEpisodeLedger:
    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    def claim(self, spike: Spike, now_ms: int, quiet_ms: int) -> bool:
        key = {"pk": _pk(spike), "sk": "EPISODE"}
        item = {**key, "kind": "RUNAWAY", "started_ms": now_ms, "until_ms": now_ms + quiet_ms, "metric": spike.metric}
        item["ttl"] = (now_ms + retention("runaway_episodes").value * DAY_MS) // 1000
        try:
            with_backoff(
                lambda: self.client.put_item(
                    TableName=self.table,
                    Item=to_ddb(item),
                    ConditionExpression="attribute_not_exists(pk) OR until_ms < :now",
                    ExpressionAttributeValues={":now": {"N": str(now_ms)}},
                ),
                "PutItem(runaway episode)",
            )
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
        self._extend(key, now_ms + quiet_ms)  # still running: the episode goes on
        return False

    def _extend(self, key: dict[str, str], until_ms: int) -> None:
        try:
            with_backoff(
                lambda: self.client.update_item(
                    TableName=self.table,
                    Key=to_ddb(key),
                    UpdateExpression="SET until_ms = :u",
                    ConditionExpression="until_ms < :u",
                    ExpressionAttributeValues={":u": {"N": str(until_ms)}},
                ),
                "UpdateItem(runaway episode)",
            )
        except ClientError as exc:  # another checker extended it further already
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise

    def release(self, spike: Spike) -> None:
        key = {"pk": _pk(spike), "sk": "EPISODE"}
        with_backoff(lambda: self.client.delete_item(TableName=self.table, Key=to_ddb(key)), "DeleteItem(episode)")


@dataclass
class MemoryEpisodeLedger:
    until: dict[str, int] = field(default_factory=dict)

    def claim(self, spike: Spike, now_ms: int, quiet_ms: int) -> bool:
        key = _pk(spike)
        fresh = self.until.get(key, -1) < now_ms
        self.until[key] = max(self.until.get(key, -1), now_ms + quiet_ms)
        return fresh

    def release(self, spike: Spike) -> None:
        self.until.pop(_pk(spike), None)


class Sender(Protocol):
    def __call__(self, alert: RunawayAlert) -> None: ...


def sender_from_env(sns_client: Callable[[], Any]) -> Sender:
    """SNS when `CCSTREAM_ALERT_TOPIC_ARN` is set, otherwise the log."""
    topic = os.environ.get(ALERT_TOPIC_ENV, "").strip()
    if not topic:
        return lambda alert: log.warning("RUNAWAY ALERT %s: %s", alert.subject, alert.message.splitlines()[0])
    client = sns_client()
    return lambda alert: client.publish(TopicArn=topic, Subject=alert.subject, Message=alert.message)


@dataclass(frozen=True)
class CheckOutcome:
    spikes: list[Spike]
    sent: list[RunawayAlert]


def check_runaway(
    data: DashboardData,
    cache: BaselineCache,
    ledger: EpisodeLedger,
    send: Sender,
    now_ms: int,
    settings: RunawaySettings,
) -> CheckOutcome:
    """Detect and alert. A team spike is alerted only when no developer is over their own threshold in the same
    check: one developer's loop is one alert (theirs), not also one for their team."""
    cache.refresh(data, now_ms, settings)
    spikes = []
    for obs in observe(data, now_ms, settings):
        spike = detect(obs, cache.of(obs.scope, obs.subject), now_ms, settings)
        if spike is not None:
            spikes.append(spike)
    users_over = any(s.scope == "user" for s in spikes)
    sent = []
    for spike in spikes:
        if spike.scope == "team" and users_over:
            continue
        if ledger.claim(spike, now_ms, settings.quiet_minutes * MINUTE_MS):
            alert = RunawayAlert(spike, link_for(spike, settings.link))
            try:
                send(alert)
            except Exception:
                ledger.release(spike)  # not sent: the next check sends it
                raise
            sent.append(alert)
    return CheckOutcome(spikes, sent)
