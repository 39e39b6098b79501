"""Who is asking: the seam between `ccstream me` / the `/me` page and the OIDC verifier ingestion uses.

A resolver takes the request's `Authorization` header (`Bearer <OIDC ID token>`, the same token the developer's
credential helper sends the collector) and returns the verified `Identity`, or raises `NotAuthenticated`. The real
verifier is `consumers.identity.oidc.verify(token) -> Identity(email, user_id, groups, kind)`; `oidc_resolver()`
uses it when that module is present in the build. `dev_resolver` is for a loopback dashboard on a developer's own
machine only: it answers every request with one configured person and says so on the page.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from consumers.errors import CcstreamError

VERIFIER_MODULE = "consumers.identity.oidc"
#: a loopback dashboard / `ccstream me` on a developer's own machine: who they are, unverified (never on a shared host)
DEV_USER_ENV = "CCSTREAM_ME_DEV_USER"


class NotAuthenticated(CcstreamError):
    """No credentials, or credentials that do not verify."""


@dataclass(frozen=True)
class Identity:
    email: str | None
    user_id: str | None
    groups: tuple[str, ...] = ()
    kind: str = "oidc"

    @property
    def key(self) -> str:
        """The user key the aggregates use: the e-mail, else user.id."""
        key = self.email or self.user_id
        if not key:
            raise NotAuthenticated("the verified identity has neither an e-mail nor a user id")
        return key


Resolver = Callable[[str | None], Identity]


def _coerce(verified: Any) -> Identity:
    groups = getattr(verified, "groups", ()) or ()
    return Identity(
        getattr(verified, "email", None),
        getattr(verified, "user_id", None),
        tuple(str(g) for g in groups),
        str(getattr(verified, "kind", "oidc")),
    )


def bearer_resolver(verify: Callable[[str], Any]) -> Resolver:
    """A resolver around a verifier of bare tokens: `Authorization: Bearer <token>` → `verify(token)`."""

    def resolve(authorization: str | None) -> Identity:
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("send Authorization: Bearer <your OIDC ID token>")
        try:
            return _coerce(verify(token.strip()))
        except NotAuthenticated:
            raise
        except Exception as exc:  # the verifier's own error: expired, wrong audience, bad signature, …
            raise NotAuthenticated(f"the token does not verify: {exc}") from None

    return resolve


def oidc_resolver() -> Resolver:
    """The build's OIDC verifier behind a bearer resolver; NotAuthenticated for every request if it is absent."""
    try:
        verify = importlib.import_module(VERIFIER_MODULE).verify
    except (ImportError, AttributeError):

        def unavailable(authorization: str | None) -> Identity:
            raise NotAuthenticated(f"no OIDC verifier in this build ({VERIFIER_MODULE}.verify)")

        return unavailable
    return bearer_resolver(verify)


def dev_resolver(user: str) -> Resolver:
    """Every request is `user` (a loopback dashboard on the developer's own machine; never on a shared host)."""
    identity = Identity(user if "@" in user else None, None if "@" in user else user, (), "dev")
    return lambda _authorization: identity
