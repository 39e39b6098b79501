"""Resolving pseudonyms: recompute them over candidate identities with the key a pseudonym names.

Candidates come from the organisation's IdP directory export: a text file with one identity per line, or a CSV
file (`.csv`) whose every cell is tried (e-mail and user id columns alike). Blank lines and `#` comments are
skipped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from consumers.identity.pseudonym import Keyring, key_id_of, normalise, pseudonym


@dataclass(frozen=True)
class KeyPseudonym:
    key_id: str
    from_month: str
    pseudonym: str


def read_candidates(text: str, csv_format: bool) -> Iterator[str]:
    if csv_format:
        for row in csv.reader(io.StringIO(text)):
            yield from (cell.strip() for cell in row if cell.strip())
        return
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            yield line


def resolve(target: str, keys: Keyring, candidates: Iterable[str]) -> list[str]:
    """The candidates (normalised, deduplicated, in file order) whose pseudonym under the named key is `target`.
    ValueError when `target` is not a pseudonym or names no known key."""
    kid = key_id_of(target)
    if kid is None:
        raise ValueError(f"{target!r} is not a pseudonym (p-<key id>-<32 hex>)")
    key = keys.by_id(kid)
    if key is None:
        raise ValueError(f"pseudonym names key {kid!r}, which is not among the identity keys ({_ids(keys)})")
    found: dict[str, None] = {}
    for candidate in candidates:
        if pseudonym(key, candidate) == target:
            found[normalise(candidate)] = None
    return list(found)


def pseudonyms_of(identity: str, keys: Keyring, month: str | None = None) -> list[KeyPseudonym]:
    """The identity's pseudonym under every key, or under the key in force in `month` ("YYYY-MM")."""
    chosen = keys.keys if month is None else (keys.key_for(month),)
    return [KeyPseudonym(k.id, k.from_month, pseudonym(k, identity)) for k in chosen]


def _ids(keys: Keyring) -> str:
    return ", ".join(k.id for k in keys.keys) or "none"
