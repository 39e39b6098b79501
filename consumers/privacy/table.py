"""Erasing one person from `ClaudeCodeMetrics`: their entries in every per-user row (U1M/U1H/U1D of every shard
and bucket, split parts included), their user-days (D items) and their budget alert marks.

Window rows (W) hold group totals only (no user), so they are left as they are: team, department and model totals
stay exact. Removing a user's entry from a U row removes their share of the distinct counts (active users, sessions)
with it. A rewritten row keeps its fence (it reflects the same records, minus the person) and gets `fv` = the
forget-list version, so a writer still holding the person in memory is refused and rewrites it without them
(`sink/dynamodb.py`). The rewrite is conditional on the row being unchanged since it was read; a row a writer
moved on meanwhile is read again.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from consumers.ddb import error_code, from_ddb, query_items, to_ddb, with_backoff
from consumers.items import decode_doc, part_sk, row_data, row_key_from_item, row_type
from consumers.model import parse_position
from consumers.privacy.forgetlist import VERSION_ATTR
from consumers.privacy.targets import Targets
from consumers.rollup import user_key_part
from consumers.sink.rows import row_items
from schemas.keys import PK, SK

_MAX_ATTEMPTS = 10


@dataclass
class TableReport:
    user_rows_scanned: int = 0
    user_rows_rewritten: int = 0
    user_entries_removed: int = 0
    row_parts_deleted: int = 0
    user_days_deleted: int = 0
    budget_alerts_deleted: int = 0
    #: the stored spellings of the person's identity found (exact strings; used to find their user-days)
    found: set[str] = field(default_factory=set)

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in vars(self).items() if isinstance(v, int)}


class TableEraser:
    def __init__(self, client: Any, table: str, targets: Targets, version: int, dry_run: bool) -> None:
        self.client = client
        self.table = table
        self.targets = targets
        self.version = version
        self.dry_run = dry_run

    # ------------------------------------------------------------------------------------------- per-user rows
    def user_rows(self, report: TableReport) -> None:
        for item in self._all_user_rows():
            report.user_rows_scanned += 1
            users = self._users(item)
            hits = [u for u in users if self.targets.matches(u)]
            if not hits:
                continue
            report.found.update(hits)
            if self.dry_run:
                report.user_rows_rewritten += 1
                report.user_entries_removed += len(hits)
                continue
            self._rewrite(item[PK], item[SK], report)

    def _all_user_rows(self) -> Iterator[dict[str, Any]]:
        for size in ("1m", "1h", "1d"):
            yield from query_items(
                self.client,
                "Query(user rows)",
                TableName=self.table,
                IndexName="MetricTypeIndex",
                KeyConditionExpression="gsi2pk = :t",
                ExpressionAttributeValues={":t": {"S": f"TYPE#{row_type('U', size)}"}},
            )

    def _users(self, item: dict[str, Any]) -> dict[str, Any]:
        users = decode_doc(row_data(item, self._get)).get("users")
        return users if isinstance(users, dict) else {}

    def _get(self, key: dict[str, str]) -> dict[str, Any] | None:
        resp = with_backoff(
            functools.partial(self.client.get_item, TableName=self.table, Key=to_ddb(key), ConsistentRead=True),
            "GetItem(forget)",
        )
        return from_ddb(resp["Item"]) if "Item" in resp else None

    def _rewrite(self, pk: str, sk: str, report: TableReport) -> None:
        """Rewrite one row without the person; re-read and retry while a writer moves it on."""
        for _ in range(_MAX_ATTEMPTS):
            item = self._get({PK: pk, SK: sk})
            if item is None:
                return
            doc = decode_doc(row_data(item, self._get))
            raw = doc.get("users")
            users: dict[str, Any] = raw if isinstance(raw, dict) else {}
            hits = [u for u in users if self.targets.matches(u)]
            if not hits:
                return
            kept = {**doc, "users": {u: v for u, v in users.items() if u not in hits}}
            if self._put_rewritten(item, kept):
                report.user_rows_rewritten += 1
                report.user_entries_removed += len(hits)
                report.found.update(hits)
                report.row_parts_deleted += self._delete_old_parts(item)
                return
        raise RuntimeError(f"row {pk} {sk} kept changing while forgetting; run forget again")

    def _put_rewritten(self, item: dict[str, Any], doc: dict[str, Any]) -> bool:
        shard, key = row_key_from_item(item)
        fence = parse_position(item["fence"])
        first, *parts = row_items(
            shard, key, fence, doc, int(item["ttl"]), bool(item.get("published")), int(item.get("nb", 0))
        )
        if parts:  # parts under a name of their own: the old ones stay readable until the row item moves
            pfence = f"{item['fence']}~f{self.version}"
            first["pfence"] = pfence
            for i, part in enumerate(parts, start=1):
                part[SK] = part_sk(first[SK], pfence, i)
                with_backoff(
                    functools.partial(self.client.put_item, TableName=self.table, Item=to_ddb(part)),
                    "PutItem(forget part)",
                )
        first[VERSION_ATTR] = self.version
        condition = "fence = :f AND " + (
            f"{VERSION_ATTR} = :v" if VERSION_ATTR in item else f"attribute_not_exists({VERSION_ATTR})"
        )
        values: dict[str, Any] = {":f": {"S": item["fence"]}}
        if VERSION_ATTR in item:
            values[":v"] = {"N": str(int(item[VERSION_ATTR]))}
        try:
            with_backoff(
                functools.partial(
                    self.client.put_item,
                    TableName=self.table,
                    Item=to_ddb(first),
                    ConditionExpression=condition,
                    ExpressionAttributeValues=values,
                ),
                "PutItem(forget row)",
            )
            return True
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise

    def _delete_old_parts(self, item: dict[str, Any]) -> int:
        """Delete the row's parts written at or before the fence it had (a writer's newer parts are left)."""
        row_sk, fence = item[SK], item["fence"]
        keep = f"{fence}~f{self.version}"
        deleted = 0
        for part in query_items(
            self.client,
            "Query(row parts)",
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
            ExpressionAttributeValues={":pk": {"S": item[PK]}, ":p": {"S": f"{row_sk}#P"}},
            ProjectionExpression="pk, sk",
        ):
            pfence = part[SK][len(row_sk) + 2 :].rsplit("#", 1)[0]
            if pfence == keep or pfence.split("~", 1)[0] > fence:
                continue
            self._delete(part[PK], part[SK])
            deleted += 1
        return deleted

    # ------------------------------------------------------------------------------------------- user-days
    def user_days(self, report: TableReport) -> None:
        spellings = set(report.found) | set(self.targets.identities)
        for spelling in sorted(spellings):
            for item in query_items(
                self.client,
                "Query(UserActivityIndex)",
                TableName=self.table,
                IndexName="UserActivityIndex",
                KeyConditionExpression="gsi1pk = :u",
                ExpressionAttributeValues={":u": {"S": f"USER#{user_key_part(spelling)}"}},
                ProjectionExpression="pk, sk, #u",
                ExpressionAttributeNames={"#u": "user"},
            ):
                if not self.targets.matches(item.get("user", spelling)):
                    continue  # a hashed key shared by another identity cannot happen (sha256); be strict anyway
                report.user_days_deleted += 1
                if not self.dry_run:
                    self._delete(item[PK], item[SK])

    # ------------------------------------------------------------------------------------------- budget alerts
    def budget_alerts(self, report: TableReport, now_ms: int, months_back: int = 15) -> None:
        for month in _months_back(now_ms, months_back):
            for item in query_items(
                self.client,
                "Query(budget alerts)",
                TableName=self.table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": f"BUDGET#{month}"}},
            ):
                if item.get("scope") == "user" and self.targets.matches(item.get("name")):
                    report.budget_alerts_deleted += 1
                    if not self.dry_run:
                        self._delete(item[PK], item[SK])

    def _delete(self, pk: str, sk: str) -> None:
        with_backoff(
            functools.partial(self.client.delete_item, TableName=self.table, Key={PK: {"S": pk}, SK: {"S": sk}}),
            "DeleteItem(forget)",
        )


def _months_back(now_ms: int, count: int) -> list[str]:
    now = datetime.fromtimestamp(now_ms / 1000, UTC)
    year, month = now.year, now.month + 1  # the next month too (a clock ahead of UTC midnight)
    out = []
    for _ in range(count + 1):
        out.append(f"{year:04d}-{month:02d}" if month <= 12 else f"{year + 1:04d}-01")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return out
