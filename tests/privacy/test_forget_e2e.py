"""`ccstream forget` end to end on the embedded emulator: real-collector data for four people in DynamoDB, the lake
and the dead letters; forget one through the CLI; every other total is unchanged (independent computation) and
nothing of that person is left in any item or any object version. Then: a forget while consumers run sticks."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from consumers.aws import AwsTarget
from consumers.identity.pseudonym import month_of_ms, parse_keyring, pseudonym
from consumers.lake.cache import sync_lake
from consumers.model import SourceRecord
from consumers.privacy.forget import ForgetPlaces, forget
from consumers.privacy.targets import forget_targets
from consumers.query.api import merge_user_rows
from consumers.rollup import rollup_user_days
from consumers.sink.rows import row_type
from tests.core.telemetry import Point
from tests.e2e.independent import points_of_line
from tests.privacy.test_pseudonym import KEYS_JSON
from tests.privacy.world import SIZES, World, by_shard, fixture_records, points_of, user_of

pytestmark = pytest.mark.emulator

SOFIA = "sofia.doe5@example.com"
API_KEY_USER = "af68d02c1f534b5f418384e1d1b4a9c6003b6500e2ca0c5782e6cf5adf9a417b"
KEYS = parse_keyring(KEYS_JSON)


def _pseudonymise(line: str, ts: int) -> str:
    """What the collector does in pseudonymous mode (collector/README "Pseudonyms"): user.email and user.id become
    the pseudonym of the identity (e-mail, else user.id) under the key of the point's month."""
    doc = json.loads(line)
    identity = doc.get("user.email") or doc.get("user.id")
    alias = pseudonym(KEYS.key_for(month_of_ms(ts)), identity)
    for attr in ("user.email", "user.id"):
        if attr in doc:
            doc[attr] = alias
    for attr in ("user.account_uuid", "user.account_id", "organization.id", "user.name"):
        doc.pop(attr, None)
    return json.dumps(doc, separators=(",", ":"))


def _ccstream(world: World, *args: str, extra_env: dict[str, str] | None = None) -> dict[str, object]:
    env = {**os.environ, **world.env, **(extra_env or {})}
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "ccstream"), *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _ingest(world: World, records: list[dict[str, str]]) -> None:
    pipes, forget_list = world.pipelines()
    shards = by_shard(records)
    world.ingest([r for rs in shards.values() for r in rs], pipes, world.lake_writer(forget_list))
    rollup_user_days(world.reader, world.aws.client("dynamodb"), world.names.table, *world.span(points_of(records)))
    # a user budget alert mark per person, as DynamoAlertLedger writes them (consumers/dashboard/alerts.py)
    for user in {user_of(p) for p in points_of(records)}:
        world.aws.client("dynamodb").put_item(
            TableName=world.names.table,
            Item={
                "pk": {"S": "BUDGET#2026-12"},
                "sk": {"S": f"ALERT#user#{user}#cost#80"},
                "kind": {"S": "BUDGET_ALERT"},
                "scope": {"S": "user"},
                "name": {"S": user},
                "threshold": {"N": "80"},
            },
        )


def _mirror_users(mirror: Path) -> set[str]:
    return {
        r["user_key"] for f in mirror.rglob("*.parquet") for r in pq.read_table(f, columns=["user_key"]).to_pylist()
    }


def _expected_entries(who: str, records: list[dict[str, str]]) -> int:
    """(shard, size, window) triples holding the person: one user entry each (a user lives in one bucket)."""
    triples = set()
    for shard, recs in by_shard(records).items():
        for rec in recs:
            for ev in json.loads(gzip.decompress(rec.data))["logEvents"]:
                for p in points_of_line(ev["message"]):
                    if user_of(p) == who:
                        triples.update((shard, size, p.ts - p.ts % ms) for size, ms in SIZES.items())
    return len(triples)


def _partitions(points: list[Point]) -> list[str]:
    hours = {datetime.fromtimestamp(p.ts / 1000, UTC) for p in points}
    return sorted({f"year={t.year}/month={t.month:02d}/day={t.day:02d}/hour={t.hour:02d}" for t in hours})


CASES: dict[str, tuple[str, Callable[[str, int], str] | None, str]] = {
    # name: (USER given to forget, how lines are stored, the identity the stored data carries)
    "email": (SOFIA, None, SOFIA),
    "user_id_only": (API_KEY_USER, None, API_KEY_USER),
    "pseudonymous": (SOFIA, _pseudonymise, pseudonym(KEYS.keys[1], SOFIA)),  # the data is from 2026-12: key k2
}


@pytest.mark.parametrize("case", list(CASES))
def test_forget_one_person_everywhere_through_the_cli(aws: AwsTarget, case: str, tmp_path: Path) -> None:
    user, rewrite, stored = CASES[case]
    world = World.create(aws)
    records = fixture_records(rewrite)
    points = points_of(records)
    assert len({user_of(p) for p in points}) == 4 and any(user_of(p) == stored for p in points)
    _ingest(world, records)
    mine = [p for p in points if user_of(p) == stored]
    kept = [p for p in points if user_of(p) != stored]
    needles = {stored} | {p.attrs["session.id"] for p in mine if p.attrs.get("session.id")}
    extra_env = {"CCSTREAM_IDENTITY_KEYS": KEYS_JSON, "CCSTREAM_IDENTITY_MODE": "pseudonymous"} if rewrite else {}
    # the local mirror DuckDB reads (`ccstream athena run` syncs it): forget re-syncs it
    extra_env["CCSTREAM_LAKE_CACHE"] = str(tmp_path)
    mirror = tmp_path / world.lake_bucket
    sync_lake(aws.client("s3"), world.lake_bucket, mirror)
    assert stored in _mirror_users(mirror)

    # a dry run finds everything and changes nothing
    places = ForgetPlaces(
        aws.client("dynamodb"), world.names.table, aws.client("s3"), world.lake_bucket, world.deadletter_bucket
    )
    targets = forget_targets(user, KEYS if rewrite else None)
    dry = forget(places, targets, dry_run=True, grace_s=0).as_dict()
    assert dry["dry_run"] is True
    assert dry["dynamodb"]["user_entries_removed"] == _expected_entries(stored, records)
    assert world.leftovers(needles), "the person's data should still be there after a dry run"

    report = _ccstream(world, "forget", user, "--json", "--grace", "0", extra_env=extra_env)
    table, lake, letters = report["dynamodb"], report["lake"], report["dead_letters"]
    assert table == {**dry["dynamodb"], "row_parts_deleted": 0}  # type: ignore[dict-item]
    assert table["user_days_deleted"] == 1  # type: ignore[index]
    assert table["budget_alerts_deleted"] == 1  # type: ignore[index]
    assert lake["rows_removed"] == len(mine)  # type: ignore[index]
    assert lake["partitions"] == _partitions(mine)  # type: ignore[index]
    assert letters["letters_removed"] == 2  # type: ignore[index]  # the aggregator's and the lake writer's
    assert report["remaining"] == 0
    assert report["lake_cache_files_refreshed"] == lake["objects_rewritten"] + lake["objects_deleted"]  # type: ignore[index]
    assert stored not in _mirror_users(mirror) and _mirror_users(mirror)

    others = {user_of(p) for p in kept}
    found = world.places(needles | others)
    assert [place for n in needles for place in found[n.lower()]] == []
    for other in others:  # their rows, user-day, lake rows, dead letters (aggregator's and lake's) and alert stay
        where = found[other.lower()]
        assert any("#USER#" in p for p in where) and any("BUDGET#" in p for p in where), other
        assert any("/deadletter/" in p for p in where) and any("/errors/" in p for p in where), other
        assert any(".parquet" in p for p in where), other
    world.assert_group_totals(points)  # group totals keep the person's share: aggregates, not personal data
    world.assert_people(kept, {stored})
    world.assert_lake(kept)
    # user-days: the others' are unchanged, the person's is gone (the rollup does not bring it back)
    rollup_user_days(world.reader, aws.client("dynamodb"), world.names.table, *world.span(points))
    assert world.leftovers(needles) == []

    again = forget(places, targets, dry_run=False, grace_s=0)
    assert again.table.user_entries_removed == 0 and again.lake.rows_removed == 0 and again.remaining == 0


def _phases(shards: dict[str, list[SourceRecord]]) -> tuple[list[SourceRecord], list[SourceRecord]]:
    """Two phases split before the second record in which Sofia appears on one shard: the first phase writes her
    rows on that shard, the second brings her back on it in another record (the capture has her there in two
    minutes of one hour), so a writer still on its old forget list writes rows forget has rewritten."""
    ordered = sorted((r for rs in shards.values() for r in rs), key=lambda r: r.sequence_number)
    seen: dict[str, int] = {}
    for i, record in enumerate(ordered):
        if SOFIA.encode() in gzip.decompress(record.data):
            seen[record.shard_id] = seen.get(record.shard_id, 0) + 1
            if seen[record.shard_id] == 2:
                return ordered[:i], ordered[i:]
    raise AssertionError("the capture no longer has Sofia twice on one shard: choose another person")


def test_forget_while_consuming_sticks(aws: AwsTarget) -> None:
    """The first phase consumed and written; `forget` runs while the aggregator and the lake writer still hold the
    person in memory; the rest (more of the person, same hour and day rows) arrive: nothing of them is stored."""
    world = World.create(aws)
    records = fixture_records()
    points = points_of(records)
    pipes, forget_list = world.pipelines(forget_refresh_ms=0)  # re-read the head before every write
    lake = world.lake_writer(forget_list)
    shards = by_shard(records)
    first, rest = _phases(shards)
    world.ingest(first, pipes, lake)
    assert any(SOFIA in part.users for part in merge_user_rows(world.reader, "1h", *world.span(points)).values())

    places = ForgetPlaces(
        aws.client("dynamodb"), world.names.table, aws.client("s3"), world.lake_bucket, world.deadletter_bucket
    )
    report = forget(places, forget_targets(SOFIA), dry_run=False, grace_s=0)
    assert report.table.user_entries_removed > 0 and report.remaining == 0

    world.ingest(rest, pipes, lake)  # the same pipelines: open rows still hold Sofia in memory
    rollup_user_days(world.reader, aws.client("dynamodb"), world.names.table, *world.span(points))
    mine = [p for p in points if user_of(p) == SOFIA]
    needles = {SOFIA} | {p.attrs["session.id"] for p in mine}
    assert world.leftovers(needles) == []
    kept = [p for p in points if user_of(p) != SOFIA]
    world.assert_group_totals(points)
    world.assert_people(kept, {SOFIA})
    world.assert_lake(kept)


def test_a_writer_on_an_old_forget_list_is_refused_by_the_rewritten_rows(aws: AwsTarget) -> None:
    """A writer that has not re-read the list (refresh interval longer than forget's grace) writes the hour and day
    rows `forget` rewrote: the rows' forget-list version refuses it, it reloads the list and writes without her."""
    world = World.create(aws)
    records = fixture_records()
    points = points_of(records)
    pipes, forget_list = world.pipelines(forget_refresh_ms=10**9)
    lake = world.lake_writer(forget_list)
    first, rest = _phases(by_shard(records))
    world.ingest(first, pipes, lake)
    places = ForgetPlaces(
        aws.client("dynamodb"), world.names.table, aws.client("s3"), world.lake_bucket, world.deadletter_bucket
    )
    forget(places, forget_targets(SOFIA), dry_run=False, grace_s=0)
    assert forget_list.reloads == 0  # still on the list it read before the forget
    world.ingest(rest, pipes, lake)
    assert forget_list.reloads >= 1
    for size in ("1h", "1d"):
        rows = merge_user_rows(world.reader, size, *world.span(points))
        assert rows and not any(SOFIA in part.users for part in rows.values()), row_type("U", size)
    # What such a writer may still have put into a row forget had not touched (a new minute), a second run erases.
    again = forget(places, forget_targets(SOFIA), dry_run=False, grace_s=0)
    assert again.remaining == 0
    assert world.leftovers({SOFIA}) == []


def test_archived_lake_objects_are_reported_not_skipped_silently(aws: AwsTarget) -> None:
    """Lake objects move to Glacier after 90 days; forget cannot read them and says so (remaining > 0)."""
    world = World.create(aws)
    s3 = aws.client("s3")
    key = "metrics/year=2026/month=01/day=01/hour=00/old.parquet"
    s3.put_object(Bucket=world.lake_bucket, Key=key, Body=b"PAR1", StorageClass="GLACIER")
    places = ForgetPlaces(aws.client("dynamodb"), world.names.table, s3, world.lake_bucket, world.deadletter_bucket)
    report = forget(places, forget_targets(SOFIA), dry_run=False, grace_s=0)
    assert report.lake.archived == [key] and report.remaining == 1
