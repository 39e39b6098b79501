"""Keyed pseudonyms of user identities: the one scheme the collector (Go, at ingestion) and `ccstream whois` /
`ccstream forget` (here) both compute, so that they provably agree.

Keys: JSON `{"keys": [{"id": "k1", "from": "2026-01", "secret": "<base64>"}, ...]}` (AWS Secrets Manager secret
`<prefix>/identity-keys`; locally env `CCSTREAM_IDENTITY_KEYS`). A data point uses the key with the greatest `from`
month at or before the point's UTC month, so a rotation (a key added from next month) never splits a window or a
monthly budget.

    normalised identity = identity.strip().lower()
    pseudonym = "p-" + key id + "-" + hex(HMAC-SHA256(base64-decoded secret, UTF-8 normalised identity))[:32]

A pseudonym cannot be reversed: it is resolved by recomputing it over candidate identities (`whois`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

PREFIX = "p-"
HEX_CHARS = 32
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_KEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
#: A pseudonym: the hex part has a fixed length, so a key id may itself contain dashes.
PSEUDONYM = re.compile(r"p-([A-Za-z0-9_.-]{1,64})-([0-9a-f]{32})")


@dataclass(frozen=True)
class IdentityKey:
    id: str
    from_month: str  # "YYYY-MM", UTC
    secret: bytes

    def __repr__(self) -> str:  # never print a secret
        return f"IdentityKey(id={self.id!r}, from_month={self.from_month!r})"


def normalise(identity: str) -> str:
    return identity.strip().lower()


def pseudonym(key: IdentityKey, identity: str) -> str:
    digest = hmac.new(key.secret, normalise(identity).encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{PREFIX}{key.id}-{digest[:HEX_CHARS]}"


def is_pseudonym(text: str) -> bool:
    return PSEUDONYM.fullmatch(text) is not None


def key_id_of(text: str) -> str | None:
    """The key id a pseudonym names (None when `text` is not a pseudonym)."""
    match = PSEUDONYM.fullmatch(text)
    return match.group(1) if match else None


def month_of(timestamp_ms: int) -> str:
    return datetime.fromtimestamp(timestamp_ms / 1000, UTC).strftime("%Y-%m")


def key_for(keys: tuple[IdentityKey, ...], month: str) -> IdentityKey | None:
    """The key in force in `month` ("YYYY-MM"): the greatest `from` at or before it (None before the first)."""
    usable = [k for k in keys if k.from_month <= month]
    return max(usable, key=lambda k: k.from_month) if usable else None


def pseudonym_at(keys: tuple[IdentityKey, ...], identity: str, timestamp_ms: int) -> str | None:
    key = key_for(keys, month_of(timestamp_ms))
    return None if key is None else pseudonym(key, identity)


def parse_keys(text: str) -> tuple[IdentityKey, ...]:
    """The keys of a key document; ValueError (naming the key, never the secret) when it is malformed."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"identity keys are not JSON ({exc.msg} at {exc.pos})") from None
    raw = doc.get("keys") if isinstance(doc, dict) else None
    if not isinstance(raw, list) or not raw:
        raise ValueError('identity keys must be {"keys": [{"id", "from", "secret"}, ...]} with at least one key')
    keys: list[IdentityKey] = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise ValueError(f"identity key #{i} is not an object")
        kid, month, secret = entry.get("id"), entry.get("from"), entry.get("secret")
        if not isinstance(kid, str) or not _KEY_ID.fullmatch(kid):
            raise ValueError(f"identity key #{i}: id must be 1-64 of A-Z a-z 0-9 _ . -")
        if not isinstance(month, str) or not _MONTH.fullmatch(month):
            raise ValueError(f"identity key {kid}: from must be a month YYYY-MM")
        try:
            value = base64.b64decode(secret if isinstance(secret, str) else "", validate=True)
        except binascii.Error:
            raise ValueError(f"identity key {kid}: secret is not base64") from None
        if len(value) < 16:
            raise ValueError(f"identity key {kid}: secret must decode to at least 16 bytes")
        keys.append(IdentityKey(kid, month, value))
    ids = [k.id for k in keys]
    months = [k.from_month for k in keys]
    if len(set(ids)) != len(ids) or len(set(months)) != len(months):
        raise ValueError("identity keys: ids and from months must be unique")
    return tuple(sorted(keys, key=lambda k: k.from_month))
