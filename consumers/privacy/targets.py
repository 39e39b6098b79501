"""Whom `ccstream forget USER` erases: every form the person's identity is stored under.

USER is an e-mail, a user.id or a pseudonym. Stored identities are compared normalised (trimmed, lower-cased).
With identity keys (pseudonymous mode) an e-mail or user.id also stands for its pseudonym under every key, so data
from every key period is found; a pseudonym stands for itself only. Identities seen next to the person's in the
lake (the `user_id` of their rows) are added by the caller once found.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from consumers.identity.pseudonym import Keyring, is_pseudonym, normalise, pseudonym


@dataclass(frozen=True)
class Targets:
    given: str
    identities: frozenset[str]  # normalised

    def matches(self, stored: object) -> bool:
        return isinstance(stored, str) and normalise(stored) in self.identities

    def plus(self, more: Iterable[str]) -> Targets:
        return Targets(self.given, self.identities | {normalise(m) for m in more if m and m.strip()})

    def pattern(self) -> re.Pattern[str]:
        """Finds any of the identities inside free text (dead letters), not as part of a longer word or address."""
        alternatives = "|".join(re.escape(i) for i in sorted(self.identities, key=len, reverse=True))
        return re.compile(rf"(?<![\w.@+%-])(?:{alternatives})(?![\w@%-]|\.\w)", re.IGNORECASE)


def forget_targets(user: str, keys: Keyring | None = None) -> Targets:
    given = normalise(user)
    if not given:
        raise ValueError("USER is empty")
    identities = {given}
    if not is_pseudonym(given) and keys is not None:
        identities.update(pseudonym(k, given) for k in keys.keys)
    return Targets(user, frozenset(identities))
