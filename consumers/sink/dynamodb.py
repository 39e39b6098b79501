"""DynamoDB implementation of the row, dedup and state stores (client passed in; ClientError stays here)."""

from __future__ import annotations

import functools
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

# Shared client helpers (`consumers/ddb.py`); re-exported for the modules that imported them from here.
from consumers.ddb import (
    RETRYABLE_CODES,
    from_ddb,
    query_items,
    to_ddb,
    with_backoff,
)
from consumers.errors import SinkRetryableError
from consumers.items import row_data
from consumers.model import Position, parse_position, position_str
from consumers.privacy.forgetlist import VERSION_ATTR as FORGET_VERSION
from consumers.privacy.forgetlist import ForgetList, ForgetSnapshot
from consumers.retention import RetentionSettings
from consumers.sink.base import FencedError, RowKey, RowWrite, ShardSnapshot, StoredRow
from consumers.sink.rows import (
    decode_doc,
    dedup_key,
    fence_of,
    row_items,
    row_key_from_item,
    row_primary_key,
    snapshot_pk,
    window_sk_prefix,
)
from schemas.keys import SK

log = logging.getLogger(__name__)
#: `_put_row_with` outcome: the stored row was filtered with a newer forget list than the writer's.
_STALE_FORGET_LIST = "stale forget list"

__all__ = ["RETRYABLE_CODES", "DynamoStores", "from_ddb", "query_items", "to_ddb", "with_backoff"]


class DynamoStores:
    """Rows, dedup markers and shard snapshots in the single table."""

    def __init__(
        self,
        client: Any,
        table: str,
        parallelism: int = 8,
        dedup_ttl_s: int | None = None,
        retention: RetentionSettings | None = None,
        forget: ForgetList | None = None,
    ) -> None:
        self.client = client
        #: People erased by `ccstream forget`: dropped from per-user rows before they are written.
        self.forget = forget
        self.table = table
        self.retention = retention or RetentionSettings()
        self.dedup_ttl_s = self.retention.ms("dedup_markers") // 1000 if dedup_ttl_s is None else dedup_ttl_s
        self._pool = ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="ddb")
        self.write_requests = 0

    # ------------------------------------------------------------------------------------------- rows
    def load_rows(self, shard_id: str, keys: list[RowKey]) -> dict[RowKey, StoredRow]:
        """The stored rows among `keys`, read strongly consistently: a new owner must see the last write of the
        previous one (an eventually consistent read could return an older fence and content, and the records
        between that fence and the checkpoint are not replayed)."""
        out: dict[RowKey, StoredRow] = {}
        for i in range(0, len(keys), 100):
            batch = [to_ddb(row_primary_key(shard_id, k)) for k in keys[i : i + 100]]
            request = {self.table: {"Keys": batch, "ConsistentRead": True}}
            while request:
                resp = with_backoff(functools.partial(self.client.batch_get_item, RequestItems=request), "BatchGetItem")
                for raw in resp.get("Responses", {}).get(self.table, []):
                    item = from_ddb(raw)
                    _, key = row_key_from_item(item)
                    published, buckets = bool(item.get("published")), int(item.get("nb", 0))
                    data = row_data(item, self._get_part)
                    out[key] = StoredRow(key, fence_of(item), decode_doc(data), published, buckets)
                request = resp.get("UnprocessedKeys") or {}
                for unprocessed in request.values():
                    unprocessed["ConsistentRead"] = True
                if request:
                    time.sleep(0.05)
        return out

    def save_rows(self, shard_id: str, rows: list[RowWrite]) -> None:
        results = list(self._pool.map(lambda w: self._put_row(shard_id, w), rows))
        fenced = [r for r in results if r is not None]
        if fenced:
            raise FencedError("; ".join(fenced[:3]))

    def _get_part(self, key: dict[str, str]) -> dict[str, Any] | None:
        resp = with_backoff(
            functools.partial(self.client.get_item, TableName=self.table, Key=to_ddb(key), ConsistentRead=True),
            "GetItem(row part)",
        )
        return from_ddb(resp["Item"]) if "Item" in resp else None

    def _put_row(self, shard_id: str, w: RowWrite) -> str | None:
        if self.forget is None or w.key.kind != "U":
            return self._put_row_with(shard_id, w, None)
        snapshot = self.forget.current()
        refused: list[dict[str, Any]] = []  # parts a refused attempt wrote (they may hold a forgotten person)
        for _ in range(5):
            outcome = self._put_row_with(shard_id, w, snapshot, refused)
            if outcome is not _STALE_FORGET_LIST:
                self._delete_orphans(refused)
                return outcome
            snapshot = self.forget.reload()  # `forget` rewrote the row with a newer list than ours
        raise SinkRetryableError(f"{w.key}: the forget list kept moving while writing it")

    def _delete_orphans(self, parts: list[dict[str, Any]]) -> None:
        """Parts written by a refused attempt that the accepted one did not overwrite (it had fewer parts)."""
        for part in parts:
            if not part.get("_rewritten"):
                key = {"pk": part["pk"], SK: part[SK]}
                with_backoff(
                    functools.partial(self.client.delete_item, TableName=self.table, Key=to_ddb(key)),
                    "DeleteItem(orphan part)",
                )

    def _put_row_with(
        self,
        shard_id: str,
        w: RowWrite,
        forget: ForgetSnapshot | None,
        refused: list[dict[str, Any]] | None = None,
    ) -> str | None:
        doc = w.doc if forget is None else forget.filter_user_doc(w.doc)
        first, *parts = row_items(shard_id, w.key, w.fence, doc, w.ttl_s, w.published, w.buckets)
        if refused:  # an earlier attempt's parts under the same keys are overwritten now
            written = {p[SK] for p in parts}
            for old in refused:
                old["_rewritten"] = old.get("_rewritten") or old[SK] in written
        condition = "attribute_not_exists(pk) OR fence < :f"
        values = {":f": {"S": position_str(w.fence)}}
        if forget is not None:
            first[FORGET_VERSION] = forget.version
            newer_list = f"(attribute_not_exists({FORGET_VERSION}) OR {FORGET_VERSION} <= :fv)"
            condition = f"attribute_not_exists(pk) OR (fence < :f AND {newer_list})"
            values[":fv"] = {"N": str(forget.version)}
        for part in parts:  # parts first, under this fence's keys: the row item only points at them once they exist
            self.write_requests += 1
            with_backoff(
                functools.partial(self.client.put_item, TableName=self.table, Item=to_ddb(part)), "PutItem(row part)"
            )
        item = to_ddb(first)
        self.write_requests += 1
        try:
            with_backoff(
                lambda: self.client.put_item(
                    TableName=self.table,
                    Item=item,
                    ConditionExpression=condition,
                    ExpressionAttributeValues=values,
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                ),
                "PutItem",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            old = exc.response.get("Item")
            old_fence = parse_position(old["fence"]["S"]) if old and "fence" in old else None
            if old_fence is None:
                old_fence = self._read_fence(shard_id, w.key)
            if old_fence is not None and old_fence > w.fence:
                return f"{w.key} stored at {old_fence} > {w.fence}"
            old_version = int((old or {}).get(FORGET_VERSION, {}).get("N", 0))
            if forget is not None and old_version > forget.version and (old_fence is None or old_fence < w.fence):
                if refused is not None:
                    refused.extend({"pk": p["pk"], SK: p[SK]} for p in parts)
                return _STALE_FORGET_LIST
        return None

    def bucket_counts(self, shard_id: str, windows: list[RowKey]) -> dict[RowKey, int]:
        """One Query per window reading a single row of it (all rows of a window carry the same count)."""
        out: dict[RowKey, int] = {}
        for window in windows:
            pk, prefix = window_sk_prefix(shard_id, window)
            resp = with_backoff(
                functools.partial(
                    self.client.query,
                    TableName=self.table,
                    KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
                    ExpressionAttributeValues={":pk": {"S": pk}, ":prefix": {"S": prefix}},
                    ProjectionExpression="nb",
                    ConsistentRead=True,
                    Limit=1,
                ),
                "Query(bucket count)",
            )
            items = resp.get("Items") or []
            if items:
                out[window] = int(items[0].get("nb", {}).get("N", 0))
        return out

    def _read_fence(self, shard_id: str, key: RowKey) -> Position | None:
        resp = self.client.get_item(
            TableName=self.table, Key=to_ddb(row_primary_key(shard_id, key)), ProjectionExpression="fence"
        )
        item = resp.get("Item")
        return parse_position(item["fence"]["S"]) if item else None

    def claim_publish(self, shard_id: str, key: RowKey) -> bool:
        self.write_requests += 1
        try:
            with_backoff(
                lambda: self.client.update_item(
                    TableName=self.table,
                    Key=to_ddb(row_primary_key(shard_id, key)),
                    UpdateExpression="SET published = :t",
                    ConditionExpression="attribute_exists(pk) AND attribute_not_exists(published)",
                    ExpressionAttributeValues={":t": {"BOOL": True}},
                ),
                "UpdateItem(published)",
            )
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise

    # ------------------------------------------------------------------------------------------- dedup
    def claim(self, shard_id: str, claims: list[tuple[str, Position]]) -> set[str]:
        expires = int(time.time()) + self.dedup_ttl_s
        results = self._pool.map(lambda c: self._claim_one(shard_id, c[0], c[1], expires), claims)
        return {fp for fp, dup in zip((c[0] for c in claims), results, strict=True) if dup}

    def _claim_one(self, shard_id: str, fingerprint: str, pos: Position, expires: int) -> bool:
        self.write_requests += 1
        try:
            with_backoff(
                lambda: self.client.put_item(
                    TableName=self.table,
                    Item=to_ddb(
                        {
                            **dedup_key(fingerprint),
                            "owner": shard_id,
                            "owner_pos": position_str(pos),
                            "ttl": expires,
                        }
                    ),
                    ConditionExpression="attribute_not_exists(pk) OR (#o = :o AND owner_pos = :p)",
                    ExpressionAttributeNames={"#o": "owner"},
                    ExpressionAttributeValues={":o": {"S": shard_id}, ":p": {"S": position_str(pos)}},
                ),
                "PutItem(dedup)",
            )
            return False
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return True
            raise

    # ------------------------------------------------------------------------------------------- shard state
    def load_snapshots(self, app: str, shard_id: str) -> list[ShardSnapshot]:
        resp = with_backoff(
            lambda: self.client.query(
                TableName=self.table,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :s)",
                ExpressionAttributeValues={":pk": {"S": snapshot_pk(app, shard_id)}, ":s": {"S": "SNAP#"}},
                ScanIndexForward=False,
                ConsistentRead=True,  # the snapshot of the checkpoint just taken by the previous owner
                Limit=50,
            ),
            "Query(snapshots)",
        )
        out = []
        for raw in resp.get("Items", []):
            item = from_ddb(raw)
            out.append(
                ShardSnapshot(
                    parse_position(item["sk"][5:]),
                    int(item["watermark_ms"]),
                    {k: int(v) for k, v in item.get("counters", {}).items()},
                )
            )
        return out

    def save_snapshot(self, app: str, shard_id: str, snapshot: ShardSnapshot) -> None:
        self.write_requests += 1
        item = {
            "pk": snapshot_pk(app, shard_id),
            "sk": f"SNAP#{position_str(snapshot.position)}",
            "watermark_ms": snapshot.watermark_ms,
            "counters": snapshot.counters,
            "saved_ms": int(time.time() * 1000),
            "ttl": int(time.time()) + self.retention.ms("snapshots") // 1000,
        }
        with_backoff(lambda: self.client.put_item(TableName=self.table, Item=to_ddb(item)), "PutItem(snapshot)")
