"""Keyed pseudonyms of identities, the Python twin of collector/internal/pseudonym (collector/README.md, "Pseudonyms").

    keys       {"keys":[{"id":"k1","from":"2026-01","secret":"<base64>"}, ...]} (env CCSTREAM_IDENTITY_KEYS; on AWS
               the Secrets Manager secret <prefix>/identity-keys)
    key        the one with the greatest `from` month <= the data's UTC month (the earliest key before every key)
    normalised ASCII whitespace trimmed, ASCII letters lower-cased, every other character kept
    pseudonym  "p-" + key id + "-" + first 32 hex digits of HMAC-SHA256(base64-decoded secret, UTF-8 normalised)

tests/auth/pseudonym_vectors.json holds vectors (computed with openssl) that this module and the Go one both check.
`ccstream whois` and `ccstream forget` (consumers/privacy/) compute pseudonyms with this module only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from consumers.errors import ConfigError

KEYS_ENV = "CCSTREAM_IDENTITY_KEYS"
MIN_SECRET_BYTES = 16
_KEY_ID = re.compile(r"[A-Za-z0-9_]{1,32}")
_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
_WHITESPACE = " \t\n\r\f\v"
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
#: A pseudonym as ingestion writes it (key ids have no dashes, the digest a fixed length).
PSEUDONYM = re.compile(r"p-([A-Za-z0-9_]{1,32})-([0-9a-f]{32})")


@dataclass(frozen=True)
class Key:
    id: str
    from_month: str
    secret: bytes

    def __repr__(self) -> str:  # never print a secret
        return f"Key(id={self.id!r}, from_month={self.from_month!r})"


def pseudonym(key: Key, identity: str) -> str:
    """The pseudonym of `identity` under `key`."""
    digest = hmac.new(key.secret, normalise(identity).encode("utf-8"), hashlib.sha256).hexdigest()
    return f"p-{key.id}-{digest[:32]}"


@dataclass(frozen=True)
class Keyring:
    """Keys ordered by the month they apply from."""

    keys: tuple[Key, ...]

    def key_for(self, month: str) -> Key:
        chosen = self.keys[0]
        for key in self.keys:
            if key.from_month <= month:
                chosen = key
        return chosen

    def by_id(self, key_id: str) -> Key | None:
        return next((k for k in self.keys if k.id == key_id), None)

    def of(self, identity: str, month: str) -> str:
        """The pseudonym of `identity` for data of `month` (YYYY-MM, UTC)."""
        return pseudonym(self.key_for(month), identity)


def normalise(identity: str) -> str:
    """ASCII whitespace trimmed, ASCII letters lower-cased (Go and Python full case mappings differ)."""
    return identity.strip(_WHITESPACE).translate(_ASCII_LOWER)


def is_pseudonym(text: str) -> bool:
    return PSEUDONYM.fullmatch(text) is not None


def key_id_of(text: str) -> str | None:
    """The key id a pseudonym names (None when `text` is not a pseudonym)."""
    match = PSEUDONYM.fullmatch(text)
    return match.group(1) if match else None


def month_of(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m")


def month_of_ms(timestamp_ms: int) -> str:
    return month_of(datetime.fromtimestamp(timestamp_ms / 1000, UTC))


def parse_keyring(text: str) -> Keyring:
    """Parse and check the keys JSON; the error never shows a secret."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f'identity keys: not JSON of the form {{"keys":[...]}}: {exc.msg}') from None
    entries = doc.get("keys") if isinstance(doc, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ConfigError("identity keys: no key")
    keys: list[Key] = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ConfigError(f"identity keys: key {i} is not an object")
        key_id, month, secret = entry.get("id"), entry.get("from"), entry.get("secret")
        if not isinstance(key_id, str) or not _KEY_ID.fullmatch(key_id):
            raise ConfigError(f"identity keys: key {i}: id {key_id!r} must be 1-32 letters, digits or _")
        if not isinstance(month, str) or not _MONTH.fullmatch(month):
            raise ConfigError(f"identity keys: key {key_id}: from {month!r} is not a YYYY-MM month")
        try:
            raw = base64.b64decode(secret if isinstance(secret, str) else "", validate=True)
        except binascii.Error:
            raise ConfigError(f"identity keys: key {key_id}: secret is not base64") from None
        if len(raw) < MIN_SECRET_BYTES:
            raise ConfigError(f"identity keys: key {key_id}: secret has {len(raw)} bytes, at least 16 needed")
        if any(k.id == key_id or k.from_month == month for k in keys):
            raise ConfigError(f"identity keys: key {key_id}: id or from month used twice")
        keys.append(Key(key_id, month, raw))
    return Keyring(tuple(sorted(keys, key=lambda k: k.from_month)))


def keyring_from_environ(environ: Mapping[str, str]) -> Keyring:
    text = environ.get(KEYS_ENV, "")
    if not text:
        raise ConfigError(f"{KEYS_ENV} is not set: the pseudonym keys are needed (collector/README.md, Pseudonyms)")
    return parse_keyring(text)
