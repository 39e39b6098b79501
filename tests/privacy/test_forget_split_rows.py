"""Forgetting a person held in a split per-user row (an item too large for DynamoDB, stored as parts): the row is
rewritten without them under new part keys, every older part (which held them) is deleted, and the row reads back
whole with everyone else; a writer on the old forget list is then refused and rewrites it without them."""

from __future__ import annotations

import secrets
import uuid

import pytest

from consumers.aggregates.partials import UserEntry, UserPartial
from consumers.aws import AwsTarget
from consumers.model import RowKey
from consumers.privacy.forgetlist import ForgetList, add_identities
from consumers.privacy.table import TableEraser, TableReport
from consumers.privacy.targets import forget_targets
from consumers.query.api import merge_user_rows
from consumers.query.reader import DynamoRowReader
from consumers.sink.base import RowWrite
from consumers.sink.dynamodb import DynamoStores
from consumers.sink.rows import row_items
from tests.core.tables import create_metrics_table

pytestmark = pytest.mark.emulator

SHARD = "shardId-000000000000"
START = 1_796_083_200_000  # 2026-12-01
JANE = "jane@example.com"


def _part_keys(client: object, table: str) -> set[str]:
    items = client.scan(TableName=table, ProjectionExpression="sk")["Items"]  # type: ignore[attr-defined]
    return {i["sk"]["S"] for i in items if "#P" in i["sk"]["S"]}


def test_a_split_row_is_rewritten_without_the_person_and_its_old_parts_deleted(aws: AwsTarget) -> None:
    client = aws.client("dynamodb")
    table = f"fs-{uuid.uuid4().hex[:8]}"
    create_metrics_table(client, table)
    people = {
        f"{secrets.token_hex(12)}@example.com": UserEntry({"m": 1.0}, {secrets.token_hex(16)}) for _ in range(12_000)
    }
    # Jane ran thousands of sessions (a CI bot): her entry alone is a part, so rows without her have fewer parts
    people[JANE] = UserEntry({"m": 5.0}, {secrets.token_hex(16) for _ in range(25_000)})
    key = RowKey("U", "1d", START, 0)
    stale = ForgetList(client, table, refresh_ms=10**9)  # a writer that read the (empty) list before the forget
    writer = DynamoStores(client, table, forget=stale)
    writer.save_rows(SHARD, [RowWrite(key, (5, 0), UserPartial(dict(people)).to_doc(), 2_000_000_000)])
    old_parts = _part_keys(client, table)
    assert old_parts, "the row must be split for this test"

    version = add_identities(client, table, [JANE], 0)
    report = TableReport()
    TableEraser(client, table, forget_targets(JANE), version, dry_run=False).user_rows(report)
    assert report.user_entries_removed == 1 and report.row_parts_deleted == len(old_parts)
    new_parts = _part_keys(client, table)
    assert new_parts and not new_parts & old_parts
    (row,) = merge_user_rows(DynamoRowReader(client, table), "1d", START, START + 86_400_000).values()
    assert set(row.users) == set(people) - {JANE}

    # the stale writer still holds Jane in memory and writes a newer state of the row: refused, list reloaded;
    # the parts its refused attempt wrote and the accepted one did not overwrite are deleted
    people["late@example.com"] = UserEntry({"m": 1.0}, {"late-session"})
    with_jane = UserPartial(dict(people)).to_doc()
    without = UserPartial({u: e for u, e in people.items() if u != JANE}).to_doc()
    accepted = row_items(SHARD, key, (6, 0), without, 0)
    assert len(row_items(SHARD, key, (6, 0), with_jane, 0)) > len(accepted)
    writer.save_rows(SHARD, [RowWrite(key, (6, 0), with_jane, 2_000_000_000)])
    assert stale.reloads == 1
    assert _part_keys(client, table) == new_parts | {p["sk"] for p in accepted[1:]}
    (row,) = merge_user_rows(DynamoRowReader(client, table), "1d", START, START + 86_400_000).values()
    assert set(row.users) == set(people) - {JANE}
    assert row.users["late@example.com"].sums == {"m": 1.0}
