"""Who is asking: `ccstream me` and the `/me` page resolve the request's `Authorization` header to the person the
aggregates know, with the verifier ingestion uses.

A resolver takes the header (`Bearer <OIDC ID token>`, the same token the developer's credential helper sends the
collector, or a service-account token) and returns the verified `Identity`, or raises `NotAuthenticated`.
`oidc_resolver()` verifies with `consumers.identity.oidc.Verifier` (issuer, audience, JWKS from the collector's
`CCSTREAM_OIDC_*` variables) and, when the deployment is pseudonymous (`CCSTREAM_IDENTITY_MODE=pseudonymous`), turns
the verified identity into this month's pseudonym with the keys ingestion uses (`CCSTREAM_IDENTITY_KEYS`), since the
stores hold nothing else. `dev_resolver` is for a loopback dashboard on a developer's own machine only: it answers
every request with one configured person and says so on the page.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from consumers.collector.auth_settings import IDENTITY_MODE
from consumers.errors import CcstreamError
from consumers.identity.caller import Identity
from consumers.identity.pseudonym import Keyring, keyring_from_environ, month_of

__all__ = ["DEV_USER_ENV", "Identity", "NotAuthenticated", "Resolver", "bearer_resolver", "dev_resolver"]

#: a loopback dashboard / `ccstream me` on a developer's own machine: who they are, unverified (never on a shared host)
DEV_USER_ENV = "CCSTREAM_ME_DEV_USER"


class NotAuthenticated(CcstreamError):
    """No credentials, or credentials that do not verify."""


Resolver = Callable[[str | None], Identity]


def bearer_resolver(verify: Callable[[str], Any]) -> Resolver:
    """A resolver around a verifier of bare tokens: `Authorization: Bearer <token>` → `verify(token)`."""

    def resolve(authorization: str | None) -> Identity:
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("send Authorization: Bearer <your OIDC ID token>")
        try:
            return verify(token.strip())
        except NotAuthenticated:
            raise
        except Exception as exc:  # the verifier's own error: expired, wrong audience, bad signature, …
            raise NotAuthenticated(f"the token does not verify: {exc}") from None

    return resolve


def as_stored(identity: Identity, keys: Keyring, now_ms: int) -> Identity:
    """The identity as a pseudonymous deployment stores it this month (collector/README.md, "Pseudonyms")."""
    pseudonym = keys.of(identity.key, month_of(datetime.fromtimestamp(now_ms / 1000, UTC)))
    return replace(identity, email=pseudonym if identity.email else None, user_id=pseudonym)


def oidc_resolver(
    environ: Mapping[str, str] | None = None, clock_ms: Callable[[], int] = lambda: int(time.time() * 1000)
) -> Resolver:
    """The ingestion verifier behind a bearer resolver (one JWKS cache per process); pseudonymous deployments get
    the stored pseudonym."""
    from consumers.identity.oidc import Verifier  # joserfc: not in the Lambda package, which has no /me

    env = os.environ if environ is None else environ
    verifier = Verifier.from_environ(env)
    resolve = bearer_resolver(verifier.verify)
    if env.get(IDENTITY_MODE, "plain") != "pseudonymous":
        return resolve
    keys = keyring_from_environ(env)
    return lambda authorization: as_stored(resolve(authorization), keys, clock_ms())


def dev_resolver(user: str) -> Resolver:
    """Every request is `user` (a loopback dashboard on the developer's own machine; never on a shared host)."""
    identity = Identity(user if "@" in user else None, user, (), "dev")
    return lambda _authorization: identity
