"""User days: one item per (user, day) merged from every shard's U1D partials, for the UserActivityIndex.

Per-user history ("what did this person use over the last 90 days") reads one index partition instead of every
day's buckets. Items are written absolutely, so a rollup can run as often as wanted (`ccstream rollup`, the
dashboard's scheduled Lambda, `ccstream up` every minute) and late data is picked up by re-running it.

Keys never carry a long identity: a user of more than `MAX_KEY_USER_BYTES` (UTF-8) is keyed by `h:<sha256>` in
`sk` and `gsi1pk` (DynamoDB allows 1,024 bytes of sort key), the raw identity is kept (cut to `MAX_USER_CHARS`) in
the non-key `user` attribute. A user-day DynamoDB refuses for any other non-transient reason is skipped and counted
(`RollupResult.failed`): one bad user never stops the others.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from consumers.ddb import query_items, to_ddb, with_backoff
from consumers.privacy.forgetlist import ForgetList, ForgetSnapshot
from consumers.query.api import merge_user_rows
from consumers.query.reader import RowReader
from consumers.retention import RetentionSettings
from consumers.windows.definitions import WINDOW_SIZES

DAY_MS = WINDOW_SIZES["1d"].duration_ms
#: Identities longer than this (UTF-8 bytes) are hashed in keys; a real e-mail is at most 254 bytes.
MAX_KEY_USER_BYTES = 256
#: Longest raw identity stored in the non-key `user` attribute.
MAX_USER_CHARS = 2048

log = logging.getLogger(__name__)


def user_key_part(user: str) -> str:
    """The user as it appears in `sk` / `gsi1pk`: itself when short, else `h:` + SHA-256 of the whole."""
    raw = user.encode("utf-8", "surrogatepass")
    if len(raw) <= MAX_KEY_USER_BYTES and not user.startswith("h:"):
        return user
    return "h:" + hashlib.sha256(raw).hexdigest()


def _date(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d")


def user_day_item(
    day_ms: int, user: str, sums: dict[str, float], sessions: int, retention: RetentionSettings | None = None
) -> dict[str, Any]:
    date = _date(day_ms)
    keep_ms = (retention or RetentionSettings()).ms("user_days")
    return {
        "pk": f"METRICS#{date}",
        "sk": f"00:00:00#USER#{user_key_part(user)}",
        "kind": "D",
        "window": "1d",
        "window_start": f"{date}T00:00:00Z",
        "start_ms": day_ms,
        "user": user[:MAX_USER_CHARS],
        "sums": {m: _number(v) for m, v in sums.items()},
        "sessions": sessions,
        "ttl": (day_ms + DAY_MS + keep_ms) // 1000,
        "gsi1pk": f"USER#{user_key_part(user)}",
        "gsi1sk": date,
    }


#: DynamoDB numbers have magnitudes from 1e-130 to 1e126; a sum of accepted values (0 … 1e15 each) is never above
#: it, but a client can send 1e-200, which DynamoDB would refuse on every run ("Number underflow").
MIN_STORED_MAGNITUDE = 1e-100


def _number(v: float) -> Decimal:
    """A sum as a DynamoDB number: a magnitude DynamoDB cannot hold (far below any count or cost) is stored as 0."""
    return Decimal(repr(v)) if abs(v) >= MIN_STORED_MAGNITUDE else Decimal(0)


@dataclass(frozen=True)
class RollupResult:
    days: int
    user_days: int  # user-days found in the partials
    written: int  # of those, new or changed since the last rollup (only these are written)
    failed: int = 0  # refused by DynamoDB for a non-transient reason (skipped, logged; the others are written)


def rollup_user_days(
    reader: RowReader,
    client: Any,
    table: str,
    from_ms: int,
    to_ms: int,
    retention: RetentionSettings | None = None,
    forget: ForgetSnapshot | None = None,
) -> RollupResult:
    """(Re)write the user-day items of every day starting in [from_ms, to_ms) that are new or changed.

    Reading a day's stored user-days costs ~1 read unit per 8 KB, writing one costs 2 write units (item + index
    entry): comparing first means a rollup every 5 minutes writes only the users active since the last one.
    People on the forget list (read from the table unless given) are never written; `retention` defaults to the
    environment's (`consumers/retention.py`)."""
    retention = retention or RetentionSettings.from_env()
    forget = forget if forget is not None else ForgetList(client, table).current()
    merged = merge_user_rows(reader, "1d", from_ms - from_ms % DAY_MS, to_ms)
    found = written = failed = 0
    for day_ms, partial in merged.items():
        stored = _stored_user_days(client, table, day_ms)
        items = []
        for user, entry in partial.users.items():
            if forget.forgets(user):
                continue
            item = user_day_item(day_ms, user, entry.sums, round(entry.session_count().value), retention)
            if stored.get(item["sk"]) != (item["sums"], item["sessions"]):
                items.append(item)
        for i in range(0, len(items), 25):
            failed += _write_batch(client, table, items[i : i + 25])
        found += len(partial.users)
        written += len(items)
    return RollupResult(days=len(merged), user_days=found, written=written - failed, failed=failed)


def _write_batch(client: Any, table: str, items: list[dict[str, Any]]) -> int:
    """BatchWriteItem; if DynamoDB refuses the batch, each item alone, skipping those it refuses. Returns skips."""
    request = {table: [{"PutRequest": {"Item": to_ddb(it)}} for it in items]}
    try:
        while request:
            resp = with_backoff(functools.partial(client.batch_write_item, RequestItems=request), "BatchWriteItem")
            request = resp.get("UnprocessedItems") or {}
        return 0
    except ClientError:
        pass  # a non-transient refusal (with_backoff retries the transient ones): find the item(s) at fault
    skipped = 0
    for it in items:
        try:
            with_backoff(functools.partial(client.put_item, TableName=table, Item=to_ddb(it)), "PutItem(user-day)")
        except ClientError as exc:
            skipped += 1
            log.warning("user-day %s %s refused, skipped: %s", it["pk"], it["sk"][:120], exc)
    return skipped


def _stored_user_days(client: Any, table: str, day_ms: int) -> dict[str, tuple[dict[str, Any], Any]]:
    """sk → (sums, sessions) of the user-day items stored for one day."""
    kwargs: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": {":pk": {"S": f"METRICS#{_date(day_ms)}"}, ":prefix": {"S": "00:00:00#USER#"}},
        "ProjectionExpression": "sk, sums, sessions",
    }
    return {
        item["sk"]: (item.get("sums") or {}, item.get("sessions"))
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
            ":u": {"S": f"USER#{user_key_part(user)}"},
            ":a": {"S": _date(max(from_ms, 0))},
            ":b": {"S": _date(max(to_ms - 1, 0))},
        },
    }
    for item in query_items(client, "Query(UserActivityIndex)", **kwargs):
        yield int(item["start_ms"]), {m: float(v) for m, v in item["sums"].items()}
