"""Verify the organisation's tokens for the product's own endpoints (`ccstream me`, the `/me` page).

The same rules as the collector's authenticator (collector/internal/tokenauth): an OIDC access token (JWT) is
accepted when its signature verifies against the issuer's JWKS (key chosen by `kid`), `iss` equals the issuer,
`aud` contains the audience and `exp` is in the future; a service-account token (`ccsa_…`) when its SHA-256 is
listed in the service-account file. Configuration comes from the collector's variables: CCSTREAM_OIDC_ISSUER,
CCSTREAM_OIDC_AUDIENCE, CCSTREAM_OIDC_JWKS_URL, CCSTREAM_OIDC_IDENTITY_CLAIM (email), CCSTREAM_OIDC_GROUPS_CLAIM
(groups), CCSTREAM_SERVICE_ACCOUNTS. Verification uses joserfc; the JWKS is fetched over HTTP and refetched for an
unknown key id at most once per `key_refresh_min_s`.
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import JWKRegistry, Key
from joserfc.jws import extract_compact

from consumers.collector import auth_settings as names
from consumers.identity.caller import Identity
from consumers.identity.pseudonym import normalise
from consumers.identity.service_accounts import SERVICE_ACCOUNT_PREFIX, ServiceAccounts

ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384")
MAX_JWKS_BYTES = 1 << 20


class TokenError(Exception):
    """The token is refused; `reason` is the collector's refusal reason (expired, wrong_audience, …)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class OidcConfig:
    issuer: str = ""
    audience: str = ""
    jwks_url: str = ""
    identity_claim: str = names.DEFAULT_IDENTITY_CLAIM
    groups_claim: str = names.DEFAULT_GROUPS_CLAIM
    user_id_claim: str = "sub"
    service_accounts: str = ""
    key_refresh_min_s: float = 30.0

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> OidcConfig:
        """The collector's own settings (`IdentitySettings.from_environ`): the same variables, the same defaults."""
        s = names.IdentitySettings.from_environ(environ)
        return cls(
            issuer=s.issuer,
            audience=s.audience,
            jwks_url=s.jwks_url,
            identity_claim=s.identity_claim,
            groups_claim=s.groups_claim,
            service_accounts=s.service_accounts,
        )


@dataclass
class _Keys:
    issuer: str
    url: str  # "" = the issuer's discovery document's jwks_uri
    min_interval_s: float
    keys: dict[str, Key] = field(default_factory=dict)
    fetched_at: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, kid: str) -> Key:
        with self.lock:
            if kid in self.keys:
                return self.keys[kid]
            if self.fetched_at is not None and time.monotonic() - self.fetched_at < self.min_interval_s:
                raise TokenError("unknown_key", "unknown signing key")
            self.fetched_at = time.monotonic()
            self.url = self.url or _discover_jwks(self.issuer)
            self.keys = _fetch_jwks(self.url)
            if kid not in self.keys:
                raise TokenError("unknown_key", "unknown signing key")
            return self.keys[kid]


def _get_json(url: str) -> Any:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return json.loads(resp.read(MAX_JWKS_BYTES))
    except (OSError, ValueError) as exc:
        raise TokenError("keys_unavailable", f"signing keys unavailable ({url}): {exc}") from None


def _discover_jwks(issuer: str) -> str:
    doc = _get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
    uri = doc.get("jwks_uri") if isinstance(doc, dict) else None
    if not isinstance(uri, str) or not uri:
        raise TokenError("keys_unavailable", f"{issuer}'s discovery document has no jwks_uri")
    return uri


def _fetch_jwks(url: str) -> dict[str, Key]:
    doc = _get_json(url)
    keys: dict[str, Key] = {}
    for raw in doc.get("keys", []) if isinstance(doc, dict) else []:
        if not isinstance(raw, dict) or raw.get("use") == "enc":
            continue
        try:
            keys[str(raw.get("kid", ""))] = JWKRegistry.import_key(raw)
        except (JoseError, ValueError, TypeError):
            continue  # a key type we cannot use
    return keys


class Verifier:
    """Verifies tokens; holds the JWKS cache and the service accounts (one per process)."""

    def __init__(self, config: OidcConfig) -> None:
        self.config = config
        self._keys = _Keys(config.issuer, config.jwks_url, config.key_refresh_min_s) if config.issuer else None
        self._accounts = ServiceAccounts(config.service_accounts) if config.service_accounts else None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Verifier:
        return cls(OidcConfig.from_environ(os.environ if environ is None else environ))

    def verify(self, token: str) -> Identity:
        """The caller the token proves; raises `TokenError` with the reason otherwise."""
        token = token.strip()
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        if not token:
            raise TokenError("missing_token", "missing bearer token")
        if token.startswith(SERVICE_ACCOUNT_PREFIX):
            return self._service_account(token)
        if self._keys is None:
            raise TokenError("invalid", "only service-account tokens are accepted here")
        claims = self._claims(token, self._keys)
        return self._identity(claims)

    def _service_account(self, token: str) -> Identity:
        account = self._accounts.lookup(token) if self._accounts else None
        if account is None:
            raise TokenError("unknown_service_account", "unknown or revoked service-account token")
        name = f"service:{account.name}"
        return Identity(email=None, user_id=name, groups=account.groups, kind="service")

    def _claims(self, token: str, keys: _Keys) -> dict[str, Any]:
        try:
            kid = str(extract_compact(token.encode()).headers().get("kid", ""))
        except (JoseError, ValueError):
            raise TokenError("malformed", "malformed token") from None
        key = keys.get(kid)
        try:
            decoded = jwt.decode(token, key, algorithms=list(ALGORITHMS))
        except JoseError as exc:
            raise TokenError("bad_signature", f"signature does not verify: {exc.error}") from None
        registry = jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": self.config.issuer},
            aud={"essential": True, "value": self.config.audience},
            exp={"essential": True},
        )
        try:
            registry.validate(decoded.claims)
        except ExpiredTokenError:
            raise TokenError("expired", "token is expired") from None
        except JoseError as exc:
            claim = getattr(exc, "claim", "") or str(exc)
            reason = {"iss": "wrong_issuer", "aud": "wrong_audience"}.get(claim, "invalid")
            raise TokenError(reason, f"invalid token: {exc}") from None
        return dict(decoded.claims)

    def _identity(self, claims: dict[str, Any]) -> Identity:
        raw = claims.get(self.config.identity_claim)
        who = normalise(raw) if isinstance(raw, str) else ""
        if not who or who.startswith("service:"):
            raise TokenError("no_identity_claim", f"the token has no usable {self.config.identity_claim!r} claim")
        user_id = claims.get(self.config.user_id_claim)
        groups = claims.get(self.config.groups_claim)
        group_list = [groups] if isinstance(groups, str) else groups if isinstance(groups, list) else []
        return Identity(
            email=who,
            user_id=user_id if isinstance(user_id, str) and user_id else who,
            groups=tuple(sorted({g for g in group_list if isinstance(g, str) and g})),
            kind="user",
        )


def verify(token: str, verifier: Verifier | None = None) -> Identity:
    """Verify `token` with `verifier`, or with one configured from the environment (no JWKS cache kept)."""
    return (verifier or Verifier.from_environ()).verify(token)
