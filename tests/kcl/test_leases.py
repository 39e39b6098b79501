"""Lease pre-seeding against the embedded emulator: the KCL 2.5 schema, and never resetting a checkpoint."""

from __future__ import annotations

from consumers.aws import AwsTarget
from consumers.kcl.leases import read_leases, seed_leases
from consumers.kcl.shards import ShardInfo, list_shards
from tests.kcl.streams import create_stream, unique


def test_seed_creates_kcl_table_and_one_owned_lease_per_shard(aws: AwsTarget) -> None:
    kinesis, ddb = aws.client("kinesis"), aws.client("dynamodb")
    stream = create_stream(kinesis, shards=3)
    table = unique("lease-app")
    shards = list_shards(kinesis, stream)

    seeded = seed_leases(ddb, table, shards, "worker-a")

    described = ddb.describe_table(TableName=table)["Table"]
    assert described["KeySchema"] == [{"AttributeName": "leaseKey", "KeyType": "HASH"}]
    assert described["AttributeDefinitions"] == [{"AttributeName": "leaseKey", "AttributeType": "S"}]
    shard_ids = {s["ShardId"] for s in kinesis.list_shards(StreamName=stream)["Shards"]}
    assert set(seeded) == shard_ids
    items = {i["leaseKey"]["S"]: i for i in ddb.scan(TableName=table)["Items"]}
    assert set(items) == shard_ids
    for item in items.values():
        assert item["leaseOwner"] == {"S": "worker-a"}
        assert item["checkpoint"] == {"S": "TRIM_HORIZON"}
        assert item["checkpointSubSequenceNumber"] == {"N": "0"}
        assert item["ownerSwitchesSinceCheckpoint"] == {"N": "0"}
        assert int(item["leaseCounter"]["N"]) >= 1
        assert "parentShardId" not in item
    # The hash ranges of the leases tile the whole key space, as the shards do.
    ranges = sorted((int(i["startingHashKey"]["S"]), int(i["endingHashKey"]["S"])) for i in items.values())
    assert ranges[0][0] == 0 and ranges[-1][1] == 2**128 - 1
    assert all(ranges[k][1] + 1 == ranges[k + 1][0] for k in range(len(ranges) - 1))


def test_seed_never_resets_an_existing_checkpoint(aws: AwsTarget) -> None:
    kinesis, ddb = aws.client("kinesis"), aws.client("dynamodb")
    stream = create_stream(kinesis, shards=2)
    table = unique("lease-app")
    shards = list_shards(kinesis, stream)
    seed_leases(ddb, table, shards[:1], "worker-a")
    ddb.update_item(
        TableName=table,
        Key={"leaseKey": {"S": shards[0].shard_id}},
        UpdateExpression="SET #c = :c, leaseOwner = :o",
        ExpressionAttributeNames={"#c": "checkpoint"},
        ExpressionAttributeValues={":c": {"S": "12345"}, ":o": {"S": "someone-else"}},
    )

    seeded = seed_leases(ddb, table, shards, "worker-a")

    assert seeded == [shards[1].shard_id]
    leases = read_leases(ddb, table)
    assert leases[shards[0].shard_id].checkpoint == "12345"
    assert leases[shards[0].shard_id].owner == "someone-else"
    assert leases[shards[1].shard_id].checkpoint == "TRIM_HORIZON"


def test_no_seeding_when_the_stream_has_closed_shards(aws: AwsTarget) -> None:
    ddb = aws.client("dynamodb")
    table = unique("lease-app")
    shards = [
        ShardInfo("shardId-000000000000", (), "0", "9", closed=True),
        ShardInfo("shardId-000000000001", ("shardId-000000000000",), "0", "9", closed=False),
    ]
    assert seed_leases(ddb, table, shards, "worker-a") == []
    assert read_leases(ddb, table) == {}


def test_read_leases_of_a_missing_table_is_empty(aws: AwsTarget) -> None:
    assert read_leases(aws.client("dynamodb"), unique("no-such-table")) == {}
