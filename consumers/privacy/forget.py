"""`ccstream forget USER`: erase one person everywhere ccstream stores them, safely while consumers run.

1. Who: `targets.forget_targets` (e-mail / user.id / pseudonym; with identity keys, the pseudonym under every key),
   plus the user ids seen next to them in the lake.
2. The forget list gets them (`forgetlist.add_identities`: hashes only) and a new version. From then on every
   writer of per-user data drops them: the aggregator's row writer, the rollup, the lake writer.
3. Wait `grace_s` (≥ the writers' list refresh interval), so that every writer re-read the list, then erase:
   per-user rows, user-days, budget alert marks (`table.py`), lake objects (`lake.py`), dead letters
   (`letters.py`), and the local lake mirror DuckDB reads (re-synced from the bucket).
4. Check: scan the per-user rows and user-days again, erase again what a writer that had not re-read the list in
   time put back (up to `rounds`), and report what is left (`remaining`, 0 when done).

What stays: window rows (group totals by team, department, model, …: aggregates, not personal data) and the
CloudWatch metrics published from them; raw log events in CloudWatch Logs and records in Kinesis until their
retention (`consumers/retention.py`) ends — they cannot be edited, only expire.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from consumers.privacy import lake as lake_erasure
from consumers.privacy.forgetlist import DEFAULT_REFRESH_MS, add_identities, head_version
from consumers.privacy.letters import LettersReport, erase_letters
from consumers.privacy.objects import bucket_exists
from consumers.privacy.table import TableEraser, TableReport
from consumers.privacy.targets import Targets
from consumers.sink.deadletter import PREFIX as DEADLETTER_PREFIX
from schemas.lake import ERROR_PREFIX

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ForgetPlaces:
    """Where the person may be stored (None: that store is not deployed here)."""

    client: Any  # dynamodb
    table: str
    s3: Any | None = None
    lake_bucket: str | None = None
    deadletter_bucket: str | None = None
    lake_cache: Path | None = None  # the local mirror of the lake (`consumers/lake/cache.py`), when it exists


@dataclass
class ForgetReport:
    user: str
    identities: list[str]
    dry_run: bool
    forget_list_version: int = 0
    table: TableReport = field(default_factory=TableReport)
    lake: lake_erasure.LakeReport = field(default_factory=lake_erasure.LakeReport)
    dead_letters: LettersReport = field(default_factory=LettersReport)
    lake_cache_files_refreshed: int = 0
    rounds: int = 0
    remaining: int = 0
    skipped: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "user": self.user,
            "identities": self.identities,
            "dry_run": self.dry_run,
            "forget_list_version": self.forget_list_version,
            "dynamodb": self.table.as_dict(),
            "lake": self.lake.as_dict(),
            "dead_letters": self.dead_letters.as_dict(),
            "lake_cache_files_refreshed": self.lake_cache_files_refreshed,
            "rounds": self.rounds,
            "remaining": self.remaining,
            "skipped": self.skipped,
        }


def forget(
    places: ForgetPlaces,
    targets: Targets,
    *,
    dry_run: bool,
    grace_s: float = 2 * DEFAULT_REFRESH_MS / 1000,
    rounds: int = 3,
    now_ms: Callable[[], int] = lambda: int(time.time() * 1000),
    sleep: Callable[[float], None] = time.sleep,
    progress: Progress = lambda _m: None,
) -> ForgetReport:
    s3 = places.s3
    lake_bucket = places.lake_bucket if s3 is not None and places.lake_bucket else None
    if lake_bucket and not bucket_exists(s3, lake_bucket):
        lake_bucket = None
    if lake_bucket:
        related = lake_erasure.related_ids(s3, lake_bucket, targets)
        targets = targets.plus(related)
    report = ForgetReport(targets.given, sorted(targets.identities), dry_run)
    if not lake_bucket:
        report.skipped.append("lake (no bucket)")

    if dry_run:
        report.forget_list_version = head_version(places.client, places.table)
    else:
        report.forget_list_version = add_identities(places.client, places.table, targets.identities, now_ms())
        progress(f"forget list version {report.forget_list_version}; waiting {grace_s:g} s for the writers to see it")
        sleep(grace_s)

    eraser = TableEraser(places.client, places.table, targets, report.forget_list_version, dry_run)
    eraser.user_rows(report.table)
    eraser.user_days(report.table)
    eraser.budget_alerts(report.table, now_ms())
    progress(f"table: {report.table.as_dict()}")

    if lake_bucket:
        report.lake = lake_erasure.erase_lake(s3, lake_bucket, targets, dry_run)
        report.dead_letters.add(erase_letters(s3, lake_bucket, ERROR_PREFIX, targets, dry_run))
        progress(f"lake: {report.lake.as_dict()}")
    if s3 is not None and places.deadletter_bucket and bucket_exists(s3, places.deadletter_bucket):
        report.dead_letters.add(erase_letters(s3, places.deadletter_bucket, DEADLETTER_PREFIX, targets, dry_run))
    else:
        report.skipped.append("dead-letter bucket (not found)")
    if lake_bucket and places.lake_cache is not None and places.lake_cache.exists() and not dry_run:
        from consumers.lake.cache import sync_lake

        stats = sync_lake(s3, lake_bucket, places.lake_cache)
        report.lake_cache_files_refreshed = stats.downloaded + stats.removed

    report.rounds = 1
    report.remaining = 0 if dry_run else _check(eraser, report, rounds, sleep, grace_s)
    report.remaining += len(report.lake.archived) + report.dead_letters.archived  # not erased until restored
    return report


def _check(
    eraser: TableEraser, report: ForgetReport, rounds: int, sleep: Callable[[float], None], grace_s: float
) -> int:
    """Scan again; erase what a late writer put back, up to `rounds` times. Returns what is left."""
    for _ in range(rounds):
        again = TableReport(found=set(report.table.found))
        eraser.user_rows(again)
        eraser.user_days(again)
        if not (again.user_entries_removed or again.user_days_deleted):
            return 0
        report.rounds += 1
        for name, value in again.as_dict().items():
            if name != "user_rows_scanned":
                setattr(report.table, name, getattr(report.table, name) + value)
        sleep(grace_s)
    left = TableReport()
    TableEraser(eraser.client, eraser.table, eraser.targets, eraser.version, dry_run=True).user_rows(left)
    return left.user_entries_removed
