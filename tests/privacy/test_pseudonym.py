"""The pseudonym scheme, checked against an independent HMAC (the openssl command line), and `ccstream whois`."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from consumers.cli.app import app
from consumers.errors import ConfigError
from consumers.identity.pseudonym import month_of_ms, parse_keyring, pseudonym
from consumers.privacy.targets import forget_targets

SECRET_1 = b"0123456789abcdef-rotation-one"
SECRET_2 = b"fedcba9876543210-rotation-two"
KEYS_JSON = json.dumps(
    {
        "keys": [
            {"id": "k1", "from": "2026-01", "secret": base64.b64encode(SECRET_1).decode()},
            {"id": "k2", "from": "2026-12", "secret": base64.b64encode(SECRET_2).decode()},
        ]
    }
)


def openssl_hmac(secret: bytes, text: str) -> str:
    out = subprocess.run(
        ["openssl", "dgst", "-sha256", "-mac", "HMAC", "-macopt", f"hexkey:{secret.hex()}"],
        input=text.encode(),
        capture_output=True,
        check=True,
    ).stdout.decode()
    return out.strip().rsplit(" ", 1)[-1]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
@pytest.mark.parametrize(
    ("identity", "normalised"),  # ASCII whitespace trimmed, ASCII letters lower-cased, the rest kept (as in Go)
    [
        ("alice@example.com", "alice@example.com"),
        ("  Alice@Example.COM ", "alice@example.com"),
        ("Ünïcode@exämple.org", "Ünïcode@exämple.org"),
        ("af68d0", "af68d0"),
    ],
)
def test_pseudonym_is_the_documented_hmac(identity: str, normalised: str) -> None:
    keys = parse_keyring(KEYS_JSON)
    expected = openssl_hmac(SECRET_1, normalised)[:32]
    assert pseudonym(keys.keys[0], identity) == f"p-k1-{expected}"


def test_key_in_force_is_the_latest_from_month_not_after_the_point() -> None:
    keys = parse_keyring(KEYS_JSON)
    assert keys.key_for("2025-12").id == "k1"  # before every key: the earliest, as ingestion does
    assert keys.key_for("2026-01").id == "k1"
    assert keys.key_for("2026-11").id == "k1"
    assert keys.key_for("2026-12").id == "k2"
    # 2026-11-30T23:59:59.999Z is still November; one ms later is December
    nov_end = 1_796_083_199_999
    assert keys.of("a@b.c", month_of_ms(nov_end)).startswith("p-k1-")
    assert keys.of("a@b.c", month_of_ms(nov_end + 1)).startswith("p-k2-")


@pytest.mark.parametrize(
    "doc",
    [
        "not json",
        '{"keys": []}',
        '{"keys": [{"id": "k1", "from": "2026-13", "secret": "MDEyMzQ1Njc4OWFiY2RlZg=="}]}',
        '{"keys": [{"id": "k1", "from": "2026-01", "secret": "c2hvcnQ="}]}',
        '{"keys": [{"id": "k1", "from": "2026-01", "secret": "***"}]}',
        '{"keys": [{"id": "a b", "from": "2026-01", "secret": "MDEyMzQ1Njc4OWFiY2RlZg=="}]}',
    ],
)
def test_malformed_keys_are_refused_without_echoing_the_secret(doc: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_keyring(doc)
    assert "MDEyMzQ1Njc4OWFiY2RlZg" not in str(err.value)


def test_forget_targets_cover_every_key_period() -> None:
    keys = parse_keyring(KEYS_JSON)
    t = forget_targets(" Alice@Example.com", keys)
    assert t.identities == {
        "alice@example.com",
        pseudonym(keys.keys[0], "alice@example.com"),
        pseudonym(keys.keys[1], "alice@example.com"),
    }
    assert forget_targets(pseudonym(keys.keys[1], "x@y.z"), keys).identities == {pseudonym(keys.keys[1], "x@y.z")}
    pattern = t.pattern()
    assert pattern.search('{"user.email":"alice@example.com","x":1}')
    assert not pattern.search("malice@example.com")
    assert not pattern.search("alice@example.com.au")
    assert pattern.search("from ALICE@example.com.")


def test_whois_resolves_over_candidates_and_prints_per_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCSTREAM_IDENTITY_KEYS", KEYS_JSON)
    keys = parse_keyring(KEYS_JSON)
    target = pseudonym(keys.keys[1], "bob@example.com")
    directory = tmp_path / "directory.csv"
    directory.write_text("email,user_id\nalice@example.com,u1\nBob@Example.com,u2\ncarol@example.com,u3\n")
    runner = CliRunner()
    res = runner.invoke(app, ["whois", target, "--candidates", str(directory), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == {"pseudonym": target, "identities": ["bob@example.com"]}

    plain = tmp_path / "ids.txt"
    plain.write_text("# export\nalice@example.com\ncarol@example.com\n")
    res = runner.invoke(app, ["whois", target, "--candidates", str(plain)])
    assert res.exit_code == 1

    res = runner.invoke(app, ["whois", "--identity", "bob@example.com", "--json"])
    assert res.exit_code == 0, res.output
    assert [r["pseudonym"] for r in json.loads(res.stdout)] == [pseudonym(k, "bob@example.com") for k in keys.keys]
    res = runner.invoke(app, ["whois", "--identity", "bob@example.com", "--month", "2026-06", "--json"])
    assert [r["key"] for r in json.loads(res.stdout)] == ["k1"]

    res = runner.invoke(app, ["whois", "p-k9-" + "0" * 32, "--candidates", str(plain)])
    assert res.exit_code != 0 and "k9" in str(res.exception or res.output)


def test_whois_reads_the_secret_and_says_what_permission_is_missing(aws, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("CCSTREAM_IDENTITY_KEYS", raising=False)
    monkeypatch.setenv("CCSTREAM_PREFIX", "whoistest")
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws.endpoint_url)
    runner = CliRunner()
    res = runner.invoke(app, ["whois", "--identity", "bob@example.com", "--json"])
    assert res.exit_code != 0 and "secretsmanager:GetSecretValue" in str(res.exception)
    aws.client("secretsmanager").create_secret(Name="whoistest/identity-keys", SecretString=KEYS_JSON)
    res = runner.invoke(app, ["whois", "--identity", "bob@example.com", "--month", "2026-12", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)[0]["pseudonym"] == pseudonym(parse_keyring(KEYS_JSON).keys[1], "bob@example.com")
