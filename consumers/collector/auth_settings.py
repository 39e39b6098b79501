"""Who may send and whose data it is: the collector settings of `--auth oidc`, the identity mode and the mapping.

`IdentitySettings` renders the `${env:...}` values collector/config.yaml reads for the `ccstreamauth` extension and
the `ccstream_identity` processor (collector/README.md, "Auth" and "Pseudonyms"). `from_environ` reads the same
variables from a shell, so `CCSTREAM_OIDC_ISSUER=... ccstream collector --auth oidc` works like the ECS task.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from consumers.errors import ConfigError

IDENTITY_MODES = ("plain", "pseudonymous")

#: The variables below, declared once (settings.ENV_NAMES includes them).
ISSUER, AUDIENCE, JWKS_URL = "CCSTREAM_OIDC_ISSUER", "CCSTREAM_OIDC_AUDIENCE", "CCSTREAM_OIDC_JWKS_URL"
IDENTITY_CLAIM, GROUPS_CLAIM = "CCSTREAM_OIDC_IDENTITY_CLAIM", "CCSTREAM_OIDC_GROUPS_CLAIM"
SERVICE_ACCOUNTS, ORG_MAPPING = "CCSTREAM_SERVICE_ACCOUNTS", "CCSTREAM_ORG_MAPPING"
IDENTITY_SOURCE, IDENTITY_MODE = "CCSTREAM_IDENTITY_SOURCE", "CCSTREAM_IDENTITY_MODE"
IDENTITY_KEYS = "CCSTREAM_IDENTITY_KEYS"
#: The claims read when the variables are unset or empty.
DEFAULT_IDENTITY_CLAIM, DEFAULT_GROUPS_CLAIM = "email", "groups"
ENV_NAMES = (
    ISSUER,
    AUDIENCE,
    JWKS_URL,
    IDENTITY_CLAIM,
    GROUPS_CLAIM,
    SERVICE_ACCOUNTS,
    ORG_MAPPING,
    IDENTITY_SOURCE,
    IDENTITY_MODE,
    IDENTITY_KEYS,
)


@dataclass(frozen=True)
class IdentitySettings:
    """OIDC issuer and claims, service accounts, identity mode, pseudonym keys and the organisation mapping."""

    issuer: str = ""
    audience: str = ""
    jwks_url: str = ""
    identity_claim: str = DEFAULT_IDENTITY_CLAIM
    groups_claim: str = DEFAULT_GROUPS_CLAIM
    service_accounts: str = ""
    org_mapping: str = ""
    mode: str = "plain"
    keys: str = ""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> IdentitySettings:
        return cls(
            issuer=environ.get(ISSUER, ""),
            audience=environ.get(AUDIENCE, ""),
            jwks_url=environ.get(JWKS_URL, ""),
            identity_claim=environ.get(IDENTITY_CLAIM) or DEFAULT_IDENTITY_CLAIM,
            groups_claim=environ.get(GROUPS_CLAIM) or DEFAULT_GROUPS_CLAIM,
            service_accounts=environ.get(SERVICE_ACCOUNTS, ""),
            org_mapping=environ.get(ORG_MAPPING, ""),
            mode=environ.get(IDENTITY_MODE) or "plain",
            keys=environ.get(IDENTITY_KEYS, ""),
        )

    def environment(self, auth: str) -> dict[str, str]:
        """The variables for `auth` (none | bearer | oidc): identity from the token only with oidc."""
        if self.mode not in IDENTITY_MODES:
            raise ConfigError(f"unknown identity mode {self.mode!r}: choose plain or pseudonymous")
        if self.mode == "pseudonymous" and not self.keys:
            raise ConfigError(f"identity mode pseudonymous needs the keys ({IDENTITY_KEYS}; see collector/README.md)")
        env = {
            IDENTITY_SOURCE: "token" if auth == "oidc" else "client",
            IDENTITY_MODE: self.mode,
            IDENTITY_KEYS: self.keys,
            ORG_MAPPING: self.org_mapping,
        }
        if auth != "oidc":
            return env
        if not self.service_accounts and not (self.issuer and self.audience):
            raise ConfigError(
                f"--auth oidc needs an issuer and an audience ({ISSUER}, {AUDIENCE}; --issuer/--audience) "
                f"or a service-account file ({SERVICE_ACCOUNTS})"
            )
        env.update(
            {
                ISSUER: self.issuer,
                AUDIENCE: self.audience,
                JWKS_URL: self.jwks_url,
                IDENTITY_CLAIM: self.identity_claim,
                GROUPS_CLAIM: self.groups_claim,
                SERVICE_ACCOUNTS: self.service_accounts,
            }
        )
        return env
