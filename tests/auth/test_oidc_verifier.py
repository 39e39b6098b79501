"""consumers/identity/oidc.py against the test IdP: the same acceptances and refusals as the collector's."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from consumers.identity.oidc import Identity, OidcConfig, TokenError, Verifier, verify
from consumers.identity.service_accounts import mint
from tests.auth.idp import AUDIENCE, LoopbackIdP, serving_idp


@pytest.fixture(scope="module")
def idp() -> Iterator[LoopbackIdP]:
    with serving_idp() as provider:
        yield provider


@pytest.fixture()
def verifier(idp: LoopbackIdP) -> Verifier:
    return Verifier.from_environ({"CCSTREAM_OIDC_ISSUER": idp.issuer, "CCSTREAM_OIDC_AUDIENCE": AUDIENCE})


def test_a_valid_token_gives_the_claims_identity(idp: LoopbackIdP, verifier: Verifier) -> None:
    for token in (
        idp.token(" Ada@Example.com", sub="00u-ada"),
        idp.token(" Ada@Example.com", sub="00u-ada", key=idp.ec),
    ):
        assert verifier.verify("Bearer " + token) == Identity(
            email="ada@example.com", user_id="00u-ada", groups=("eng-platform",), kind="user"
        )


def test_claim_names_are_configurable(idp: LoopbackIdP) -> None:
    verifier = Verifier(OidcConfig(issuer=idp.issuer, audience=AUDIENCE, identity_claim="upn", groups_claim="roles"))
    identity = verifier.verify(idp.token(None, upn="Bo@corp.example", roles=["b", "a"]))
    assert (identity.email, identity.groups) == ("bo@corp.example", ("a", "b"))


def test_bad_tokens_are_refused_with_the_collectors_reasons(idp: LoopbackIdP, verifier: Verifier) -> None:
    now = int(time.time())
    cases = {
        "missing_token": "",
        "expired": idp.token(exp=now - 60, iat=now - 660),
        "wrong_audience": idp.token(aud="another-app"),
        "wrong_issuer": idp.token(iss="https://evil.example"),
        "bad_signature": idp.token(key=idp.stranger, kid="rsa-1"),
        "unknown_key": idp.token(key=idp.stranger, kid="rsa-unknown"),
        "no_identity_claim": idp.token(None),
        "malformed": "not-a-jwt",
    }
    for reason, token in cases.items():
        with pytest.raises(TokenError) as err:
            verifier.verify(token)
        assert err.value.reason == reason, (reason, str(err.value))


def test_unknown_key_ids_do_not_refetch_the_jwks_every_time(idp: LoopbackIdP, verifier: Verifier) -> None:
    verifier.verify(idp.token())
    before = len(idp.jwks_hits)
    for _ in range(10):
        with pytest.raises(TokenError):
            verifier.verify(idp.token(kid="made-up"))
    assert len(idp.jwks_hits) == before


def test_service_accounts_verify_until_revoked(idp: LoopbackIdP, tmp_path: Path) -> None:
    token, entry = mint("ci-bot", ("ci",))
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text("service_accounts:\n" + entry)
    verifier = Verifier(OidcConfig(service_accounts=str(accounts)))
    assert verifier.verify(token) == Identity(email=None, user_id="service:ci-bot", groups=("ci",), kind="service")
    assert verifier.verify(token).key == "service:ci-bot"
    with pytest.raises(TokenError, match="only service-account"):
        verifier.verify(idp.token())
    accounts.write_text("service_accounts: []\n")
    revoked = Verifier(OidcConfig(service_accounts=str(accounts)))
    with pytest.raises(TokenError) as err:
        revoked.verify(token)
    assert err.value.reason == "unknown_service_account"


def test_the_module_function_reads_the_environment(idp: LoopbackIdP, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCSTREAM_OIDC_ISSUER", idp.issuer)
    monkeypatch.setenv("CCSTREAM_OIDC_AUDIENCE", AUDIENCE)
    monkeypatch.delenv("CCSTREAM_OIDC_JWKS_URL", raising=False)
    assert verify(idp.token("x@y.example")).email == "x@y.example"
