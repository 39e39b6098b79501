"""A test identity provider on loopback: its own RSA and EC keys (generated here), its discovery document and JWKS
over HTTP, and tokens signed with joserfc. The collector and consumers/identity/oidc.py verify against it exactly
as they would against Okta, Entra ID or Google.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey

AUDIENCE = "ccstream-collector"


@dataclass
class TestIdP:
    issuer: str
    rsa: RSAKey
    ec: ECKey
    #: A key the IdP does not publish (signs "wrong signature" and "unknown kid" tokens).
    stranger: RSAKey
    jwks_hits: list[float] = field(default_factory=list)

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


def _handler(idp: TestIdP) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            if self.path == "/.well-known/openid-configuration":
                body: dict[str, Any] = {"issuer": idp.issuer, "jwks_uri": idp.jwks_url}
            elif self.path == "/jwks":
                idp.jwks_hits.append(time.monotonic())
                body = idp.jwks()
            else:
                self.send_response(404)
                self.end_headers()
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextmanager
def serving_idp() -> Iterator[TestIdP]:
    """Start the IdP on 127.0.0.1 (a free port); stopped on exit."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    idp = TestIdP(
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
