"""`ccstream deploy --identity-mode pseudonymous`: the identity-keys secret is created once, in the shape the
collector and `whois` read, and handed to the monitoring stack; plain mode creates nothing."""

from __future__ import annotations

import uuid

import pytest

from consumers.aws import AwsTarget
from consumers.config import Names
from consumers.deploy.stacks import STACKS, DeployOptions, PrepareContext
from consumers.identity.pseudonym import parse_keyring
from consumers.privacy.keys import load_keys
from consumers.privacy.secret import new_key_document

pytestmark = pytest.mark.emulator


def _context(aws: AwsTarget, names: Names, mode: str | None, current: dict[str, str] | None) -> PrepareContext:
    return PrepareContext(
        target=aws,
        names=names,
        options=DeployOptions(identity_mode=mode, certificate_arn="arn:aws:acm:us-east-1:123456789012:certificate/x"),
        caller_arn="arn:aws:iam::123456789012:user/deployer",
        current_parameters=current,
        client=aws.client,
        progress=lambda _line: None,
    )


def test_pseudonymous_deploy_creates_the_secret_once(aws: AwsTarget) -> None:
    names = Names(prefix=f"id{uuid.uuid4().hex[:8]}")
    prepare = STACKS["monitoring"].prepare
    assert prepare is not None
    assert "IdentityKeysSecretArn" not in prepare(_context(aws, names, None, None))  # plain by default: no secret
    first = prepare(_context(aws, names, "pseudonymous", None))
    arn = first["IdentityKeysSecretArn"]
    assert f"{names.prefix}/identity-keys" in arn
    keys = load_keys(aws.client("secretsmanager"), names, env={})
    assert [k.id for k in keys.keys] == ["k1"] and len(keys.keys[0].secret) == 32
    # a later deploy keeps it (the stack already has its ARN) and never replaces the keys
    kept = prepare(_context(aws, names, None, {"IdentityMode": "pseudonymous", "IdentityKeysSecretArn": arn}))
    assert "IdentityKeysSecretArn" not in kept  # the stack's current value stays
    assert prepare(_context(aws, names, "pseudonymous", None))["IdentityKeysSecretArn"] == arn
    assert load_keys(aws.client("secretsmanager"), names, env={}) == keys


def test_rotation_adds_a_key_from_next_month() -> None:
    from datetime import UTC, datetime

    first = new_key_document(datetime(2026, 12, 5, tzinfo=UTC))
    second = new_key_document(datetime(2026, 12, 20, tzinfo=UTC), existing=first)
    keys = parse_keyring(second)
    assert [(k.id, k.from_month) for k in keys.keys] == [("k1", "2026-12"), ("k2", "2027-01")]
    assert keys.key_for("2026-12").id == "k1"  # this month's data keeps its key
