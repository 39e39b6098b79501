"""The KCL lease table: read checkpoints, and pre-seed leases so a local worker starts reading at once.

Schema (KCL 2.5.x, `DynamoDBLeaseRefresher` / `DynamoDBLeaseSerializer`): the table is named after the
application, has one hash key `leaseKey` (S, the shard id) and PAY_PER_REQUEST billing. A lease item holds
`leaseKey` (S), `leaseOwner` (S worker id, absent when free), `leaseCounter` (N, bumped on every renewal),
`ownerSwitchesSinceCheckpoint` (N), `checkpoint` (S: a sequence number or TRIM_HORIZON / LATEST / AT_TIMESTAMP /
SHARD_END), `checkpointSubSequenceNumber` (N), optional `parentShardId` (SS), `childShardIds` (SS),
`pendingCheckpoint*`, and `startingHashKey` / `endingHashKey` (S, decimal strings).

Why pre-seed: a fresh worker first syncs shards into leases, then waits for its lease taker to claim the unowned
leases; each step waits for a timer. A worker that finds leases already owned by its own `workerId` renews them
during initialisation and starts a shard consumer straight away. `seed_leases` therefore writes, only where no
lease exists yet (a conditional put, so an existing checkpoint is never reset), one lease per open shard at
TRIM_HORIZON owned by the fixed worker id. It is meant for emulators; on AWS the KCL creates its own table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from consumers.kcl.shards import TRIM_HORIZON, ShardInfo

LEASE_KEY = "leaseKey"


@dataclass(frozen=True)
class Lease:
    """The parts of a KCL lease that ccstream reads."""

    shard_id: str
    owner: str | None
    counter: int
    checkpoint: str
    sub_sequence: int
    parent_ids: tuple[str, ...] = ()


def lease_table_exists(ddb: Any, table: str) -> bool:
    try:
        ddb.describe_table(TableName=table)
    except ddb.exceptions.ResourceNotFoundException:
        return False
    return True


def ensure_lease_table(ddb: Any, table: str, timeout_s: float = 30.0) -> bool:
    """Create the lease table with the KCL's schema unless it exists; True when this call created it."""
    if lease_table_exists(ddb, table):
        return False
    try:
        ddb.create_table(
            TableName=table,
            AttributeDefinitions=[{"AttributeName": LEASE_KEY, "AttributeType": "S"}],
            KeySchema=[{"AttributeName": LEASE_KEY, "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    except ddb.exceptions.ResourceInUseException:
        return False
    ddb.get_waiter("table_exists").wait(
        TableName=table, WaiterConfig={"Delay": 1, "MaxAttempts": max(1, int(timeout_s))}
    )
    return True


def lease_item(shard: ShardInfo, owner: str) -> dict[str, Any]:
    """A new lease at TRIM_HORIZON owned by `owner`, in DynamoDB's attribute-value form."""
    item: dict[str, Any] = {
        LEASE_KEY: {"S": shard.shard_id},
        "leaseOwner": {"S": owner},
        "leaseCounter": {"N": "1"},
        "ownerSwitchesSinceCheckpoint": {"N": "0"},
        "checkpoint": {"S": TRIM_HORIZON},
        "checkpointSubSequenceNumber": {"N": "0"},
    }
    if shard.parent_ids:
        item["parentShardId"] = {"SS": list(shard.parent_ids)}
    if shard.starting_hash_key and shard.ending_hash_key:
        item["startingHashKey"] = {"S": shard.starting_hash_key}
        item["endingHashKey"] = {"S": shard.ending_hash_key}
    return item


def seed_leases(ddb: Any, table: str, shards: Iterable[ShardInfo], owner: str) -> list[str]:
    """Create the table if needed and add a lease for each open shard that has none; returns the seeded ids.

    Skips seeding entirely when the stream has closed shards: their lineage is the KCL's business.
    """
    shard_list = list(shards)
    if any(s.closed for s in shard_list):
        return []
    ensure_lease_table(ddb, table)
    seeded = []
    for shard in shard_list:
        try:
            ddb.put_item(
                TableName=table,
                Item=lease_item(shard, owner),
                ConditionExpression="attribute_not_exists(#k)",
                ExpressionAttributeNames={"#k": LEASE_KEY},
            )
        except ddb.exceptions.ConditionalCheckFailedException:
            continue
        seeded.append(shard.shard_id)
    return seeded


def _lease_from_item(item: dict[str, Any]) -> Lease:
    return Lease(
        shard_id=item[LEASE_KEY]["S"],
        owner=item.get("leaseOwner", {}).get("S"),
        counter=int(item.get("leaseCounter", {}).get("N", "0")),
        checkpoint=item.get("checkpoint", {}).get("S", ""),
        sub_sequence=int(item.get("checkpointSubSequenceNumber", {}).get("N", "0")),
        parent_ids=tuple(sorted(item.get("parentShardId", {}).get("SS", []))),
    )


def read_leases(ddb: Any, table: str) -> dict[str, Lease]:
    """Every lease by shard id (consistent scan); an empty dict when the table does not exist yet."""
    leases: dict[str, Lease] = {}
    kwargs: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        try:
            page = ddb.scan(**kwargs)
        except ddb.exceptions.ResourceNotFoundException:
            return {}
        for item in page.get("Items", []):
            lease = _lease_from_item(item)
            leases[lease.shard_id] = lease
        last = page.get("LastEvaluatedKey")
        if not last:
            return leases
        kwargs["ExclusiveStartKey"] = last
