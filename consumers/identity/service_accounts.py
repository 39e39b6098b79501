"""Service-account tokens (CI bots): minted once, stored only as SHA-256 hashes, revoked by removing the hash.

The file (or SSM parameter, `ssm:/name`) is the collector's (collector/README.md, "Service accounts"):

    service_accounts:
      - {name: ci-bot, sha256: <64 hex>, groups: [platform]}

It is re-read when older than `reload_s`, so a revocation takes effect within that time here as in the collector.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from consumers.errors import ConfigError

SERVICE_ACCOUNT_PREFIX = "ccsa_"
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class ServiceAccount:
    name: str
    groups: tuple[str, ...]


def mint(name: str, groups: tuple[str, ...] = ()) -> tuple[str, str]:
    """A new token for `name` and the YAML entry (hash only) to add to the service-account file."""
    if not _NAME.fullmatch(name):
        raise ConfigError(f"service account name {name!r} must match {_NAME.pattern}")
    token = SERVICE_ACCOUNT_PREFIX + secrets.token_urlsafe(32)
    digest = hashlib.sha256(token.encode()).hexdigest()
    entry = yaml.safe_dump([{"name": name, "sha256": digest, "groups": list(groups)}], default_flow_style=None)
    return token, entry


def parse(text: str) -> dict[str, ServiceAccount]:
    """hash → account; the same rules as the collector's parser."""
    doc = yaml.safe_load(text) or {}
    out: dict[str, ServiceAccount] = {}
    for i, entry in enumerate(doc.get("service_accounts") or []):
        name, digest = str(entry.get("name", "")), str(entry.get("sha256", "")).lower()
        if not _NAME.fullmatch(name):
            raise ConfigError(f"service accounts: entry {i}: bad name {name!r}")
        if not _SHA256.fullmatch(digest) or digest in out:
            raise ConfigError(f"service accounts: {name}: sha256 must be 64 hex digits, each hash once")
        out[digest] = ServiceAccount(name, tuple(sorted(str(g) for g in entry.get("groups") or [])))
    return out


def _read(location: str) -> str:
    if location.startswith("ssm:"):
        import boto3

        return str(boto3.client("ssm").get_parameter(Name=location[4:], WithDecryption=True)["Parameter"]["Value"])
    path = Path(location)
    return path.read_text() if path.exists() else ""


@dataclass
class ServiceAccounts:
    location: str
    reload_s: float = 5.0
    _accounts: dict[str, ServiceAccount] = field(default_factory=dict)
    _loaded_at: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def lookup(self, token: str) -> ServiceAccount | None:
        with self._lock:
            if self._loaded_at is None or time.monotonic() - self._loaded_at >= self.reload_s:
                self._accounts = parse(_read(self.location))
                self._loaded_at = time.monotonic()
            return self._accounts.get(hashlib.sha256(token.encode()).hexdigest())
