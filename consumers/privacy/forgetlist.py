"""The forget list: people erased by `ccstream forget`, which every writer of per-user data honours.

A running aggregator holds open per-user rows in memory and would write a forgotten person back; so would a
replay after a crash, the rollup, and the lake writer. The list lives in the table, so they all see it:

- `pk=FORGET, sk=HEAD`: `version`, incremented (atomically) by every `forget`;
- `pk=FORGET, sk=ID#<sha256 of the normalised identity as stored>`: one per erased identity (plain e-mail or
  user.id, or pseudonym), written before the head is bumped. Only the hash is kept, never the identity (an
  unsalted hash of an e-mail can be confirmed by whoever guesses the e-mail: the table is access-controlled).

Writers (`ForgetList.current`) re-read the head at most every `refresh_ms` and the entries only when the version
changed, drop forgotten users before writing, and write per-user rows with `fv` = the list version they filtered
with. `forget` rewrites rows with the new version, so a writer still on an older list is refused by the row's
condition, reloads the list and writes again without the person (`sink/dynamodb.py`).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from consumers.ddb import error_code, query_items, with_backoff
from consumers.identity.pseudonym import normalise

PK = "FORGET"
HEAD_SK = "HEAD"
ENTRY_PREFIX = "ID#"
#: Attribute of per-user rows: the forget-list version their writer filtered with.
VERSION_ATTR = "fv"
DEFAULT_REFRESH_MS = 5_000

log = logging.getLogger(__name__)


def identity_hash(identity: str) -> str:
    return hashlib.sha256(normalise(identity).encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class ForgetSnapshot:
    version: int = 0
    hashes: frozenset[str] = frozenset()
    _cache: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)

    def forgets(self, identity: str) -> bool:
        if not self.hashes:
            return False
        hit = self._cache.get(identity)
        if hit is None:
            if len(self._cache) > 100_000:  # ≈ 10 MB; a deployment has far fewer users
                self._cache.clear()
            hit = self._cache[identity] = identity_hash(identity) in self.hashes
        return hit

    def mentions_forgotten(self, *texts: str) -> bool:
        """True when a dead letter's text names a forgotten person (`privacy/mentions.py`)."""
        if not self.hashes:
            return False
        from consumers.privacy.mentions import identities_in

        return any(self.forgets(i) for text in texts if text for i in identities_in(text))

    def filter_user_doc(self, doc: dict[str, Any]) -> dict[str, Any]:
        """A per-user row document without forgotten users (the same object when nobody is dropped)."""
        users = doc.get("users")
        if not self.hashes or not isinstance(users, dict) or not any(self.forgets(u) for u in users):
            return doc
        return {**doc, "users": {u: v for u, v in users.items() if not self.forgets(u)}}


class ForgetList:
    """The table's forget list as one process sees it (thread-safe; the row writer uses a thread pool)."""

    def __init__(
        self,
        client: Any,
        table: str,
        refresh_ms: int = DEFAULT_REFRESH_MS,
        clock_ms: Callable[[], float] = lambda: time.monotonic() * 1000,
    ) -> None:
        self.client = client
        self.table = table
        self.refresh_ms = refresh_ms
        self.clock_ms = clock_ms
        self._snapshot = ForgetSnapshot()
        self._read_at: float | None = None
        self._lock = threading.Lock()
        self._missing_logged = False
        self.reloads = 0

    def current(self) -> ForgetSnapshot:
        with self._lock:
            now = self.clock_ms()
            if self._read_at is None or now - self._read_at >= self.refresh_ms:
                self._refresh(now)
            return self._snapshot

    def reload(self) -> ForgetSnapshot:
        """Read the head now (a row told us the list moved on)."""
        with self._lock:
            self._refresh(self.clock_ms())
            return self._snapshot

    def _refresh(self, now: float) -> None:
        try:
            version = head_version(self.client, self.table)
        except ClientError as exc:
            if error_code(exc) != "ResourceNotFoundException":
                raise
            if not self._missing_logged:  # a lake writer run without the aggregate table: nobody was forgotten
                log.warning("table %s not found: no forget list to honour", self.table)
                self._missing_logged = True
            version = 0
        if version != self._snapshot.version:
            self._snapshot = ForgetSnapshot(version, frozenset(entry_hashes(self.client, self.table)))
            self.reloads += 1
        self._read_at = now


def head_version(client: Any, table: str) -> int:
    resp = with_backoff(
        functools.partial(
            client.get_item,
            TableName=table,
            Key={"pk": {"S": PK}, "sk": {"S": HEAD_SK}},
            ConsistentRead=True,
            ProjectionExpression="version",
        ),
        "GetItem(forget head)",
    )
    return int(resp.get("Item", {}).get("version", {}).get("N", 0))


def entry_hashes(client: Any, table: str) -> list[str]:
    items = query_items(
        client,
        "Query(forget list)",
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
        ExpressionAttributeValues={":pk": {"S": PK}, ":p": {"S": ENTRY_PREFIX}},
        ConsistentRead=True,
        ProjectionExpression="sk",
    )
    return [item["sk"][len(ENTRY_PREFIX) :] for item in items]


def add_identities(client: Any, table: str, identities: Iterable[str], now_ms: int) -> int:
    """Add identities to the list and return the new list version. The entries are written before the head is
    bumped: a writer that sees the new version reads the entries after it (consistently) and finds them all."""
    for identity in sorted(set(identities)):
        with_backoff(
            functools.partial(
                client.put_item,
                TableName=table,
                Item={
                    "pk": {"S": PK},
                    "sk": {"S": ENTRY_PREFIX + identity_hash(identity)},
                    "added_ms": {"N": str(now_ms)},
                },
            ),
            "PutItem(forget entry)",
        )
    resp = with_backoff(
        functools.partial(
            client.update_item,
            TableName=table,
            Key={"pk": {"S": PK}, "sk": {"S": HEAD_SK}},
            UpdateExpression="ADD version :one SET updated_ms = :now",
            ExpressionAttributeValues={":one": {"N": "1"}, ":now": {"N": str(now_ms)}},
            ReturnValues="UPDATED_NEW",
        ),
        "UpdateItem(forget head)",
    )
    return int(resp["Attributes"]["version"]["N"])
