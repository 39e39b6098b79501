"""`ccstream client-config` and the token helper it writes, against the loopback IdP and the real collector.

The helper runs as developers' machines run it (a separate Python process, stderr not a terminal): the device
login, the header it prints, the refresh when the cached token is about to expire; the header it prints is
accepted by the collector and stores data under the signed-in developer.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from consumers.cli.app import app
from consumers.identity.oidc import OidcConfig, Verifier
from tests.auth.conftest import AuthedCollector
from tests.auth.forged import at, cost, metrics_body, ns_ago
from tests.auth.idp import AUDIENCE, LoopbackIdP
from tests.collector.conftest import metric_lines

pytestmark = pytest.mark.emulator


def _client_config(idp: LoopbackIdP, out: Path, *extra: str) -> None:
    args = ["client-config", "--endpoint", "https://otel.example.com", "--issuer", idp.issuer]
    args += ["--client-id", "cli-1", "--audience", AUDIENCE, "--output", str(out), *extra]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output


def _helper(script: Path, cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCSTREAM_")}
    return subprocess.run(
        [sys.executable, str(script), *args],
        env={**env, "XDG_CACHE_HOME": str(cache)},
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_managed_settings_turn_telemetry_on_with_delta_and_the_helper(idp: LoopbackIdP, tmp_path: Path) -> None:
    _client_config(idp, tmp_path, "--helper-path", "/opt/ccstream/token")
    settings = json.loads((tmp_path / "managed-settings.json").read_text())
    assert settings == {
        "env": {
            "CLAUDE_CODE_ENABLE_TELEMETRY": "1",
            "OTEL_METRICS_EXPORTER": "otlp",
            "OTEL_LOGS_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "https://otel.example.com",
            "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "delta",
        },
        "otelHeadersHelper": "/opt/ccstream/token",
    }
    assert (tmp_path / "ccstream-otel-token").stat().st_mode & stat.S_IXUSR
    assert (tmp_path / "collector.env").read_text() == (
        f"CCSTREAM_OIDC_ISSUER={idp.issuer}\nCCSTREAM_OIDC_AUDIENCE={AUDIENCE}\n"
        "CCSTREAM_OIDC_IDENTITY_CLAIM=email\nCCSTREAM_OIDC_GROUPS_CLAIM=groups\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--endpoint", "http://otel.example.com"], "must be https://"),
        (["--idp", "ldap"], "unknown IdP"),
        (["--protocol", "udp"], "unknown protocol"),
    ],
)
def test_bad_client_configs_are_refused(idp: LoopbackIdP, args: list[str], message: str) -> None:
    base = {"--endpoint": "https://otel.example.com", "--issuer": idp.issuer, "--client-id": "c", "--audience": "a"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    result = CliRunner().invoke(app, ["client-config", *[x for kv in base.items() for x in kv]])
    assert result.exit_code != 0 and message in str(result.exception)


def test_idp_parameter_sets() -> None:
    runner = CliRunner()
    google = ["client-config", "--endpoint", "https://o.example", "--idp", "google", "--helper"]
    result = runner.invoke(app, [*google, "--issuer", "https://accounts.google.com", "--client-id", "123.apps"])
    assert result.exit_code == 0, result.output
    assert '"token_field": "id_token"' in result.stdout  # Google's access tokens are not JWTs
    assert "CCSTREAM_OIDC_AUDIENCE=123.apps" in result.stderr  # an ID token's audience is the client id
    entra = ["client-config", "--endpoint", "https://o.example", "--idp", "entra", "--client-id", "c"]
    issuer = "https://login.microsoftonline.com/t/v2.0"
    result = runner.invoke(app, [*entra, "--issuer", issuer, "--audience", "api://app"])
    assert "CCSTREAM_OIDC_IDENTITY_CLAIM=preferred_username" in result.stderr


def test_the_helper_signs_in_prints_the_header_and_refreshes(
    idp: LoopbackIdP, plain: AuthedCollector, tmp_path: Path
) -> None:
    _client_config(idp, tmp_path / "out")
    script, cache = tmp_path / "out" / "ccstream-otel-token", tmp_path / "cache"

    first = _helper(script, cache)
    assert first.returncode == 1 and "ccstream-otel-token login" in first.stderr  # no terminal: no sign-in prompt

    login = _helper(script, cache, "login")
    assert login.returncode == 0, login.stderr
    assert "WDJB-MJHT" in login.stderr and idp.issuer + "/activate" in login.stderr
    cached = cache / "ccstream" / "otel-token.json"
    assert stat.S_IMODE(cached.stat().st_mode) == 0o600

    header = json.loads(_helper(script, cache).stdout)
    token = header["Authorization"].removeprefix("Bearer ")
    verifier = Verifier(OidcConfig(issuer=idp.issuer, audience=AUDIENCE))
    assert verifier.verify(token).email == idp.device_user
    assert idp.token_calls.count("refresh_token") == 0

    # Within five minutes of expiry the helper refreshes (the IdP sees a refresh grant) and prints a new token.
    state = json.loads(cached.read_text())
    cached.write_text(json.dumps({**state, "expires_at": time.time() + 60}))
    refreshed = json.loads(_helper(script, cache).stdout)["Authorization"].removeprefix("Bearer ")
    assert idp.token_calls.count("refresh_token") == 1 and refreshed != token

    # The collector accepts what the helper prints and stores the data under the signed-in developer.
    time_ns = ns_ago(70)
    assert (
        plain.post("/v1/metrics", metrics_body([cost(4.0)], time_ns), {"Authorization": f"Bearer {refreshed}"})[0]
        == 200
    )
    (line,) = metric_lines(plain.under.wait_for_events(plain.under.metrics_group, 1, at(time_ns)))
    assert line["user.email"] == idp.device_user


def test_service_account_prints_the_token_once_and_only_its_hash_for_the_document() -> None:
    result = CliRunner().invoke(app, ["service-account", "ci-bot", "--groups", "ci, platform"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("ccsa_") and len(token) == len("ccsa_") + 43
    entry = yaml.safe_load(result.stderr.split("\n", 1)[1])
    assert entry == [
        {"name": "ci-bot", "sha256": hashlib.sha256(token.encode()).hexdigest(), "groups": ["ci", "platform"]}
    ]
    assert token not in result.stderr


def test_collector_auth_oidc_needs_an_issuer_and_says_so() -> None:
    env = {k: "" for k in ("CCSTREAM_OIDC_ISSUER", "CCSTREAM_OIDC_AUDIENCE", "CCSTREAM_SERVICE_ACCOUNTS")}
    args = ["collector", "--auth", "oidc", "--endpoint-url", "http://127.0.0.1:9", "--region", "us-east-1"]
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code != 0
    assert "--auth oidc needs an issuer and an audience" in str(result.exception)
