"""Dead letters to S3: one JSON-lines object per flushed batch, under a key no client text can lengthen.

Key: `deadletter/<shard>/<first sequence, 64 digits>-<sha256 of the batch's letter ids, 32 hex>.jsonl` (≈ 150
bytes whatever the letters hold; S3 allows 1,024). The name only depends on the letters, so a replay of the same
records rewrites the same object. A batch is split only when its body would pass `MAX_OBJECT_BYTES` (payloads are
capped at 256 KiB each by the decoder), so one bad line with 2,000 bad values is one letter in one object, not
2,000 PutObjects. Each PutObject is retried with backoff for transient errors only, a bounded number of times,
with a client whose connect/read timeouts bound every attempt (`deadletter_client_config`).

Each line is a `DeadLetter` plus `id` (`letter_id`: what redrive uses to feed a letter back exactly once).
"""

from __future__ import annotations

import functools
import hashlib
import re
from typing import Any

import msgspec

from consumers.model import DeadLetter
from consumers.privacy.forgetlist import ForgetList
from consumers.sink.dynamodb import with_backoff

PREFIX = "deadletter/"
#: Largest object body; bigger batches become several objects (names still deterministic).
MAX_OBJECT_BYTES = 16 << 20
_SAFE_SHARD = re.compile(r"[A-Za-z0-9_.-]{1,128}")
_encoder = msgspec.json.Encoder()


def letter_id(dl: DeadLetter) -> str:
    """Identity of one dead letter: equal for the same item of the same record, distinct otherwise."""
    ident = f"{dl.shard_id}\x00{dl.sequence_number}\x00{dl.sub_sequence_number}\x00{dl.index}\x00{dl.reason}"
    ident += f"\x00{dl.metric or ''}"
    return hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _shard_part(shard_id: str) -> str:
    if _SAFE_SHARD.fullmatch(shard_id):
        return shard_id
    return "h-" + hashlib.sha256(shard_id.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def batch_key(letters: list[DeadLetter]) -> str:
    """The object key of one batch (all letters of one shard; the first letter's shard names it)."""
    first = letters[0]
    seq = re.sub(r"[^0-9]", "", first.sequence_number)[:64].zfill(64)
    digest = hashlib.sha256("\n".join(letter_id(dl) for dl in letters).encode()).hexdigest()[:32]
    return f"{PREFIX}{_shard_part(first.shard_id)}/{seq}-{digest}.jsonl"


def encode_letter(dl: DeadLetter) -> bytes:
    doc = msgspec.to_builtins(dl)
    doc["id"] = letter_id(dl)
    return _encoder.encode(doc) + b"\n"


def batches(letters: list[DeadLetter], max_bytes: int = MAX_OBJECT_BYTES) -> list[tuple[str, bytes]]:
    """(key, body) of every object `letters` become, grouped by shard and in order."""
    by_shard: dict[str, list[DeadLetter]] = {}
    for dl in letters:
        by_shard.setdefault(dl.shard_id, []).append(dl)
    out: list[tuple[str, bytes]] = []
    for group in by_shard.values():
        current: list[DeadLetter] = []
        lines: list[bytes] = []
        size = 0
        for dl in group:
            line = encode_letter(dl)
            if current and size + len(line) > max_bytes:
                out.append((batch_key(current), b"".join(lines)))
                current, lines, size = [], [], 0
            current.append(dl)
            lines.append(line)
            size += len(line)
        if current:
            out.append((batch_key(current), b"".join(lines)))
    return out


def deadletter_client_config() -> dict[str, Any]:
    """botocore Config options for the dead-letter S3 client (`AwsTarget.client("s3", **these)`): every attempt
    bounded in time (5 s connect, 20 s read)."""
    return {"connect_timeout": 5, "read_timeout": 20, "retries": {"max_attempts": 2, "mode": "standard"}}


class S3DeadLetters:
    def __init__(self, client: Any, bucket: str, attempts: int = 5, forget: ForgetList | None = None) -> None:
        self.client = client
        self.bucket = bucket
        self.attempts = attempts
        self.objects_written = 0
        #: People erased by `ccstream forget`: letters that mention them are not stored (they were counted).
        self.forget = forget

    def write(self, letters: list[DeadLetter]) -> None:
        """One PutObject per batch; transient failures retried `attempts` times, then SinkRetryableError."""
        if self.forget is not None:
            forget = self.forget.current()
            letters = [dl for dl in letters if not forget.mentions_forgotten(dl.payload, dl.detail)]
        for key, body in batches(letters):
            with_backoff(
                functools.partial(
                    self.client.put_object,
                    Bucket=self.bucket,
                    Key=key,
                    Body=body,
                    ContentType="application/x-ndjson",
                ),
                "PutObject(dead letters)",
                attempts=self.attempts,
            )
            self.objects_written += 1


def read_letters(body: bytes) -> list[dict[str, Any]]:
    """The letters of one object as dicts (each with `id`); lines that do not parse are skipped."""
    out = []
    for line in body.splitlines():
        try:
            doc = msgspec.json.decode(line)
        except msgspec.DecodeError:
            continue
        if isinstance(doc, dict) and "reason" in doc:
            out.append(doc)
    return out
