#!/usr/bin/env python3
"""ccstream-otel-token: Claude Code's `otelHeadersHelper`, printing {"Authorization": "Bearer <token>"}.

Standalone (Python 3.9+ standard library only): `ccstream client-config` writes this file with its settings filled
in, and the admin installs it on developers' machines next to the managed settings that name it. Claude Code runs
it at start-up and every CLAUDE_CODE_OTEL_HEADERS_HELPER_DEBOUNCE_MS (29 minutes by default).

- `ccstream-otel-token login`: the OAuth 2.0 device authorization grant (RFC 8628) against the organisation's IdP:
  prints a URL and a code on stderr, waits for the sign-in, caches the tokens.
- `ccstream-otel-token`: prints the header; refreshes with the refresh token when the cached token has less than
  five minutes left; starts a login only when stderr is a terminal (Claude Code runs it without one: then it fails
  and says to run `ccstream-otel-token login`).

Tokens are cached in $XDG_CACHE_HOME/ccstream/otel-token.json (default ~/.cache), readable by the user only.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

# ccstream client-config replaces the next line with the deployment's settings.
CONFIG: dict[str, Any] = json.loads(os.environ.get("CCSTREAM_TOKEN_HELPER_CONFIG", "{}"))
MIN_VALID_S = 300
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


class HelperError(Exception):
    pass


def _cache_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ccstream" / "otel-token.json"


def _post(url: str, form: dict[str, str]) -> dict[str, Any]:
    data = urllib.parse.urlencode({k: v for k, v in form.items() if v}).encode()
    request = urllib.request.Request(url, data, {"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return dict(json.loads(resp.read()))
    except urllib.error.HTTPError as exc:
        try:
            return dict(json.loads(exc.read()))
        except ValueError:
            raise HelperError(f"{url}: HTTP {exc.code}") from None


def _discover(cfg: dict[str, Any]) -> dict[str, Any]:
    url = cfg["issuer"].rstrip("/") + "/.well-known/openid-configuration"
    with urllib.request.urlopen(url, timeout=30) as resp:
        return dict(json.loads(resp.read()))


def _jwt_exp(token: str) -> float | None:
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(claims["exp"])
    except (IndexError, KeyError, ValueError, TypeError):
        return None


def _store(cfg: dict[str, Any], response: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    field = cfg.get("token_field", "access_token")
    token = response.get(field)
    if not token:
        raise HelperError(f"the IdP's answer has no {field}: {response.get('error_description') or response}")
    expires = time.time() + float(response.get("expires_in", 3600))
    exp = _jwt_exp(token)
    cached = {
        "token": token,
        "expires_at": min(expires, exp) if exp else expires,
        "refresh_token": response.get("refresh_token") or (previous or {}).get("refresh_token"),
    }
    path = _cache_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(cached, f)
    tmp.replace(path)
    return cached


def login(cfg: dict[str, Any]) -> dict[str, Any]:
    meta = _discover(cfg)
    endpoint = meta.get("device_authorization_endpoint")
    if not endpoint:
        raise HelperError(f"{cfg['issuer']} does not offer the device authorization grant")
    client = {"client_id": cfg["client_id"], "client_secret": cfg.get("client_secret", "")}
    start = _post(endpoint, {**client, "scope": cfg.get("scope", "openid email"), "audience": cfg.get("audience", "")})
    if "device_code" not in start:
        raise HelperError(f"device authorization refused: {start.get('error_description') or start}")
    where = start.get("verification_uri_complete") or start.get("verification_uri") or start.get("verification_url")
    print(f"To send Claude Code telemetry, sign in at {where} with the code {start['user_code']}", file=sys.stderr)
    interval = float(start.get("interval", 5))
    deadline = time.time() + float(start.get("expires_in", 600))
    while time.time() < deadline:
        poll = {**client, "grant_type": DEVICE_GRANT, "device_code": start["device_code"]}
        answer = _post(meta["token_endpoint"], poll)
        error = answer.get("error")
        if error == "authorization_pending":
            time.sleep(interval)
            continue
        if error == "slow_down":
            interval += 5
            time.sleep(interval)
            continue
        if error:
            raise HelperError(f"sign-in failed: {answer.get('error_description') or error}")
        return _store(cfg, answer, None)
    raise HelperError("the sign-in code expired")


def refresh(cfg: dict[str, Any], cached: dict[str, Any]) -> dict[str, Any]:
    meta = _discover(cfg)
    answer = _post(
        meta["token_endpoint"],
        {
            "grant_type": "refresh_token",
            "refresh_token": cached["refresh_token"],
            "client_id": cfg["client_id"],
            "client_secret": cfg.get("client_secret", ""),
            "scope": cfg.get("scope", ""),
        },
    )
    if answer.get("error"):
        raise HelperError(f"refresh refused ({answer['error']}): run `ccstream-otel-token login`")
    return _store(cfg, answer, cached)


def current_token(cfg: dict[str, Any]) -> str:
    path = _cache_path()
    cached = json.loads(path.read_text()) if path.exists() else None
    if cached and cached.get("expires_at", 0) - time.time() > MIN_VALID_S:
        return str(cached["token"])
    if cached and cached.get("refresh_token"):
        return str(refresh(cfg, cached)["token"])
    if sys.stderr.isatty():
        return str(login(cfg)["token"])
    raise HelperError("not signed in: run `ccstream-otel-token login` in a terminal")


def main(argv: list[str]) -> int:
    if not CONFIG.get("issuer") or not CONFIG.get("client_id"):
        print("ccstream-otel-token: no issuer/client_id configured (client-config fills them)", file=sys.stderr)
        return 2
    try:
        if argv[1:] == ["login"]:
            login(CONFIG)
            print("signed in", file=sys.stderr)
            return 0
        print(json.dumps({"Authorization": "Bearer " + current_token(CONFIG)}))
        return 0
    except (HelperError, OSError, ValueError) as exc:
        print(f"ccstream-otel-token: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
