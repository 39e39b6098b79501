"""User days: one item per (user, day) merged from every shard's U1D partials, for the UserActivityIndex.

Per-user history ("what did this person use over the last 90 days") reads one index partition instead of every
day's buckets. Items are written absolutely, so a rollup can run as often as wanted (`ccstream rollup`, the
dashboard's scheduled Lambda, `ccstream up` every minute) and late data is picked up by re-running it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from consumers.ddb import query_items, to_ddb, with_backoff
from consumers.query.api import merge_user_rows
from consumers.query.reader import RowReader
from consumers.windows.definitions import WINDOW_SIZES

DAY_MS = WINDOW_SIZES["1d"].duration_ms


def _date(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d")


def user_day_item(day_ms: int, user: str, sums: dict[str, float], sessions: int) -> dict[str, Any]:
    date = _date(day_ms)
    return {
        "pk": f"METRICS#{date}",
        "sk": f"00:00:00#USER#{user}",
        "kind": "D",
        "window": "1d",
        "window_start": f"{date}T00:00:00Z",
        "start_ms": day_ms,
        "user": user,
        "sums": {m: Decimal(repr(v)) for m, v in sums.items()},
        "sessions": sessions,
        "ttl": (day_ms + WINDOW_SIZES["1d"].ttl_ms) // 1000,
        "gsi1pk": f"USER#{user}",
        "gsi1sk": date,
    }


@dataclass(frozen=True)
class RollupResult:
    days: int
    user_days: int  # user-days found in the partials
    written: int  # of those, new or changed since the last rollup (only these are written)


def rollup_user_days(reader: RowReader, client: Any, table: str, from_ms: int, to_ms: int) -> RollupResult:
    """(Re)write the user-day items of every day starting in [from_ms, to_ms) that are new or changed.

    Reading a day's stored user-days costs ~1 read unit per 8 KB, writing one costs 2 write units (item + index
    entry): comparing first means a rollup every 5 minutes writes only the users active since the last one."""
    merged = merge_user_rows(reader, "1d", from_ms - from_ms % DAY_MS, to_ms)
    found = written = 0
    for day_ms, partial in merged.items():
        stored = _stored_user_days(client, table, day_ms)
        items = []
        for user, entry in partial.users.items():
            item = user_day_item(day_ms, user, entry.sums, len(entry.sessions))
            if stored.get(user) != (item["sums"], item["sessions"]):
                items.append(item)
        for i in range(0, len(items), 25):
            request = {table: [{"PutRequest": {"Item": to_ddb(it)}} for it in items[i : i + 25]]}
            while request:
                resp = with_backoff(functools.partial(client.batch_write_item, RequestItems=request), "BatchWriteItem")
                request = resp.get("UnprocessedItems") or {}
        found += len(partial.users)
        written += len(items)
    return RollupResult(days=len(merged), user_days=found, written=written)


def _stored_user_days(client: Any, table: str, day_ms: int) -> dict[str, tuple[dict[str, Any], Any]]:
    """user → (sums, sessions) of the user-day items stored for one day."""
    kwargs: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": {":pk": {"S": f"METRICS#{_date(day_ms)}"}, ":prefix": {"S": "00:00:00#USER#"}},
        "ProjectionExpression": "#u, sums, sessions",
        "ExpressionAttributeNames": {"#u": "user"},
    }
    return {
        item["user"]: (item.get("sums") or {}, item.get("sessions"))
        for item in query_items(client, "Query(user-days)", **kwargs)
    }


def user_history(
    client: Any, table: str, user: str, from_ms: int, to_ms: int
) -> Iterator[tuple[int, dict[str, float]]]:
    """(day start, {metric: value}) for one user, from the UserActivityIndex."""
    kwargs: dict[str, Any] = {
        "TableName": table,
        "IndexName": "UserActivityIndex",
        "KeyConditionExpression": "gsi1pk = :u AND gsi1sk BETWEEN :a AND :b",
        "ExpressionAttributeValues": {
            ":u": {"S": f"USER#{user}"},
            ":a": {"S": _date(max(from_ms, 0))},
            ":b": {"S": _date(max(to_ms - 1, 0))},
        },
    }
    for item in query_items(client, "Query(UserActivityIndex)", **kwargs):
        yield int(item["start_ms"]), {m: float(v) for m, v in item["sums"].items()}
