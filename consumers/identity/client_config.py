"""What an admin pushes to developers' machines: Claude Code managed settings and the token helper, per IdP.

`render(...)` returns the three files `ccstream client-config` prints or writes: `managed-settings.json` (telemetry
on, OTLP to the collector, delta temporality, `otelHeadersHelper`), the helper script (consumers/identity/
otel_token_helper.py with the deployment's settings filled in) and `collector.env` (the matching collector side).
The IdP parameter sets are documented in collector/README.md, "Client rollout".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from consumers.collector import auth_settings as names
from consumers.errors import ConfigError

HELPER_SOURCE = Path(__file__).with_name("otel_token_helper.py")
HELPER_CONFIG_LINE = 'CONFIG: dict[str, Any] = json.loads(os.environ.get("CCSTREAM_TOKEN_HELPER_CONFIG", "{}"))'
DEFAULT_HELPER_PATH = "/usr/local/bin/ccstream-otel-token"
MANAGED_SETTINGS_PATHS = {
    "linux": "/etc/claude-code/managed-settings.json",
    "macos": "/Library/Application Support/ClaudeCode/managed-settings.json",
    "windows": "C:\\ProgramData\\ClaudeCode\\managed-settings.json",
}
PROTOCOLS = ("http/protobuf", "http/json", "grpc")


@dataclass(frozen=True)
class IdpProfile:
    """How one IdP issues the token the collector checks, and which claims carry identity and groups."""

    name: str
    token_field: str  # "access_token" | "id_token": the token the helper sends
    scope: str
    identity_claim: str
    groups_claim: str
    audience_is_client_id: bool  # the token's `aud` is the OAuth client id (ID tokens)
    issuer_example: str


PROFILES = {
    "generic": IdpProfile(
        "generic", "access_token", "openid email offline_access", "email", "groups", False, "https://idp.example.com"
    ),
    "okta": IdpProfile(
        "okta",
        "access_token",
        "openid email groups offline_access",
        "sub",
        "groups",
        False,
        "https://ORG.okta.com/oauth2/default",
    ),
    "entra": IdpProfile(
        "entra",
        "access_token",
        "api://APP_ID/otel.write offline_access",
        "preferred_username",
        "groups",
        False,
        "https://login.microsoftonline.com/TENANT_ID/v2.0",
    ),
    "google": IdpProfile("google", "id_token", "openid email", "email", "hd", True, "https://accounts.google.com"),
}


@dataclass(frozen=True)
class ClientConfig:
    endpoint: str
    idp: str
    issuer: str
    client_id: str
    audience: str = ""
    scope: str = ""
    client_secret: str = ""
    protocol: str = "http/protobuf"
    helper_path: str = DEFAULT_HELPER_PATH

    def profile(self) -> IdpProfile:
        if self.idp not in PROFILES:
            raise ConfigError(f"unknown IdP {self.idp!r}: choose one of {', '.join(PROFILES)}")
        return PROFILES[self.idp]

    def token_audience(self) -> str:
        profile = self.profile()
        if profile.audience_is_client_id:
            return self.client_id
        if not self.audience:
            raise ConfigError(f"--audience is needed for {self.idp} (the `aud` of its access tokens)")
        return self.audience

    def check(self) -> None:
        if not self.endpoint.startswith("https://"):
            raise ConfigError(f"the collector endpoint must be https:// (tokens travel in a header): {self.endpoint}")
        if self.protocol not in PROTOCOLS:
            raise ConfigError(f"unknown protocol {self.protocol!r}: choose one of {', '.join(PROTOCOLS)}")
        if not self.issuer.startswith("https://") and not self.issuer.startswith("http://127.0.0.1"):
            raise ConfigError(f"the issuer must be an https:// URL: {self.issuer!r}")
        if not self.client_id:
            raise ConfigError("--client-id is needed (the IdP's public client for the device flow)")
        self.token_audience()


def managed_settings(cfg: ClientConfig) -> dict[str, object]:
    """The managed-settings.json document (env + otelHeadersHelper)."""
    return {
        "env": {
            "CLAUDE_CODE_ENABLE_TELEMETRY": "1",
            "OTEL_METRICS_EXPORTER": "otlp",
            "OTEL_LOGS_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_PROTOCOL": cfg.protocol,
            "OTEL_EXPORTER_OTLP_ENDPOINT": cfg.endpoint.rstrip("/"),
            "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "delta",
        },
        "otelHeadersHelper": cfg.helper_path,
    }


def helper_script(cfg: ClientConfig) -> str:
    profile = cfg.profile()
    settings = {
        "issuer": cfg.issuer,
        "client_id": cfg.client_id,
        "scope": cfg.scope or profile.scope,
        "token_field": profile.token_field,
        "audience": cfg.audience if cfg.idp == "generic" else "",
    }
    if cfg.client_secret:
        settings["client_secret"] = cfg.client_secret  # Google's device clients have a non-confidential secret
    source = HELPER_SOURCE.read_text()
    if HELPER_CONFIG_LINE not in source:
        raise ConfigError(f"{HELPER_SOURCE} lost its CONFIG line")
    return source.replace(HELPER_CONFIG_LINE, f"CONFIG: dict[str, Any] = {json.dumps(settings, indent=4)}")


def collector_env(cfg: ClientConfig) -> str:
    """The collector side of the same IdP (the ECS task's environment, or `ccstream collector --auth oidc`)."""
    profile = cfg.profile()
    lines = {
        names.ISSUER: cfg.issuer,
        names.AUDIENCE: cfg.token_audience(),
        names.IDENTITY_CLAIM: profile.identity_claim,
        names.GROUPS_CLAIM: profile.groups_claim,
    }
    return "".join(f"{k}={v}\n" for k, v in lines.items())


def render(cfg: ClientConfig) -> dict[str, str]:
    """File name → content."""
    cfg.check()
    return {
        "managed-settings.json": json.dumps(managed_settings(cfg), indent=2) + "\n",
        "ccstream-otel-token": helper_script(cfg),
        "collector.env": collector_env(cfg),
    }
