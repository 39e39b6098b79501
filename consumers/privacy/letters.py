"""Erasing one person from dead letters: the aggregator's (`deadletter/` in the dead-letter bucket) and the lake
writer's / Firehose's (`errors/` in the lake bucket). A letter mentions the person when one of their identities
appears in it as a whole word — in the letter's text, or inside its payload when that is base64 of a (gzipped)
record. Objects are rewritten without those letters (deleted when none is left), older versions deleted."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from consumers.privacy import objects
from consumers.privacy.mentions import decoded_record
from consumers.privacy.targets import Targets


@dataclass
class LettersReport:
    objects_scanned: int = 0
    objects_rewritten: int = 0
    objects_deleted: int = 0
    letters_removed: int = 0
    versions_deleted: int = 0
    archived: int = 0  # objects in an archive storage class, not searched

    def add(self, other: LettersReport) -> None:
        for k, v in vars(other).items():
            setattr(self, k, getattr(self, k) + v)

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


def _decoded_payload(payload: object) -> str:
    return decoded_record(payload) if isinstance(payload, str) else ""


def mentions(line: bytes, targets: Targets) -> bool:
    text = line.decode("utf-8", "replace")
    pattern = targets.pattern()
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        return pattern.search(text) is not None
    plain = json.dumps(doc, ensure_ascii=False)
    if pattern.search(plain) or pattern.search(text):
        return True
    payload = doc.get("payload") if isinstance(doc, dict) else None
    decoded = _decoded_payload(payload)
    return bool(decoded) and pattern.search(decoded) is not None


def erase_letters(s3: Any, bucket: str, prefix: str, targets: Targets, dry_run: bool) -> LettersReport:
    report = LettersReport()
    for key in list(objects.list_keys(s3, bucket, prefix, ".jsonl")):
        report.objects_scanned += 1
        try:
            lines = objects.read(s3, bucket, key).splitlines(keepends=True)
        except objects.Archived:
            report.archived += 1
            continue
        kept = [line for line in lines if line.strip() and not mentions(line, targets)]
        removed = sum(1 for line in lines if line.strip()) - len(kept)
        if not removed:
            continue
        report.letters_removed += removed
        if kept:
            report.objects_rewritten += 1
        else:
            report.objects_deleted += 1
        if not dry_run:
            body = b"".join(kept) if kept else None
            report.versions_deleted += objects.replace(s3, bucket, key, body, "application/x-ndjson")
    return report
