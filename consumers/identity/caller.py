"""A verified caller, as the product's own endpoints and the stores know it (no token library needed to use one)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Identity:
    """A verified caller: `email` is None for service accounts (`user_id` is then `service:<name>`)."""

    email: str | None
    user_id: str
    groups: tuple[str, ...]
    kind: str  # "user" | "service" ("dev": the configured person of a loopback dashboard, unverified)

    @property
    def key(self) -> str:
        """The identity the stores key on (collector/README.md, "Identity"): the e-mail, else the user id."""
        return self.email or self.user_id
