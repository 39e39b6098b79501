"""A test identity provider on loopback: its own RSA and EC keys (generated here), its discovery document and JWKS
over HTTP, and tokens signed with joserfc. The collector and consumers/identity/oidc.py verify against it exactly
as they would against Okta, Entra ID or Google.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey

AUDIENCE = "ccstream-collector"


@dataclass
class LoopbackIdP:
    issuer: str
    rsa: RSAKey
    ec: ECKey
    #: A key the IdP does not publish (signs "wrong signature" and "unknown kid" tokens).
    stranger: RSAKey
    jwks_hits: list[float] = field(default_factory=list)
    #: The device flow's signed-in developer, and what the token endpoint did (grant type per call).
    device_user: str = "dev@example.com"
    token_calls: list[str] = field(default_factory=list)
    refresh_tokens: set[str] = field(default_factory=set)

    @property
    def jwks_url(self) -> str:
        return self.issuer + "/jwks"

    def jwks(self) -> dict[str, Any]:
        return KeySet([self.rsa, self.ec]).as_dict(private=False)

    def token(
        self, email: str | None = "ada@example.com", *, groups: tuple[str, ...] = ("eng-platform",), **overrides: Any
    ) -> str:
        """A token signed with the RSA key; `overrides` replace claims (None removes one); `kid`/`key` in it pick
        the header's key id and the signing key, `alg` the algorithm."""
        key = overrides.pop("key", self.rsa)
        kid = overrides.pop("kid", key.kid)
        alg = overrides.pop("alg", "RS256" if isinstance(key, RSAKey) else "ES256")
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": "00u-" + (email or "nobody").split("@")[0],
            "email": email,
            "groups": list(groups),
            "iat": now,
            "exp": now + 600,
        }
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode({"alg": alg, "kid": kid, "typ": "JWT"}, claims, key)

    def token_endpoint(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """The device grant answers `authorization_pending` to the first poll; refresh tokens are single-use."""
        grant = form.get("grant_type", "")
        self.token_calls.append(grant)
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            if self.token_calls.count(grant) == 1:
                return 400, {"error": "authorization_pending"}
        elif grant == "refresh_token":
            if form.get("refresh_token") not in self.refresh_tokens:
                return 400, {"error": "invalid_grant"}
            self.refresh_tokens.discard(form["refresh_token"])
        else:
            return 400, {"error": "unsupported_grant_type"}
        refresh = f"rt-{len(self.token_calls)}"
        self.refresh_tokens.add(refresh)
        token = self.token(self.device_user, jti=refresh)
        return 200, {"access_token": token, "id_token": token, "refresh_token": refresh, "expires_in": 600}


def _handler(idp: LoopbackIdP) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            if self.path == "/device" and form.get("client_id"):
                self._json(
                    200,
                    {
                        "device_code": "dc-1",
                        "user_code": "WDJB-MJHT",
                        "verification_uri": idp.issuer + "/activate",
                        "interval": 0,
                        "expires_in": 60,
                    },
                )
            elif self.path == "/token" and form.get("client_id"):
                self._json(*idp.token_endpoint(form))
            else:
                self._json(400, {"error": "invalid_request"})

        def do_GET(self) -> None:
            if self.path == "/.well-known/openid-configuration":
                body: dict[str, Any] = {
                    "issuer": idp.issuer,
                    "jwks_uri": idp.jwks_url,
                    "token_endpoint": idp.issuer + "/token",
                    "device_authorization_endpoint": idp.issuer + "/device",
                }
            elif self.path == "/jwks":
                idp.jwks_hits.append(time.monotonic())
                body = idp.jwks()
            else:
                self.send_response(404)
                self.end_headers()
                return
            self._json(200, body)

    return Handler


@contextmanager
def serving_idp() -> Iterator[LoopbackIdP]:
    """Start the IdP on 127.0.0.1 (a free port); stopped on exit."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    idp = LoopbackIdP(
        issuer=f"http://127.0.0.1:{server.server_address[1]}",
        rsa=RSAKey.generate_key(2048, parameters={"kid": "rsa-1", "use": "sig", "alg": "RS256"}),
        ec=ECKey.generate_key("P-256", parameters={"kid": "ec-1", "use": "sig", "alg": "ES256"}),
        stranger=RSAKey.generate_key(2048, parameters={"kid": "rsa-1"}),
    )
    server.RequestHandlerClass = _handler(idp)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield idp
    finally:
        server.shutdown()
        server.server_close()
