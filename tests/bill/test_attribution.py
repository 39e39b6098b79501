"""Which developer a CUR line belongs to, and how usage types and telemetry ids meet on one model key."""

from __future__ import annotations

import pytest

from consumers.bill.attribution import Attribution, ProfileOwner, attribute, session_name
from consumers.bill.cur import model_key, token_type

ACCOUNT = "111122223333"
PROFILE = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:application-inference-profile/p-7"


@pytest.mark.parametrize(
    ("principal", "resource", "tags", "want"),
    [
        (
            f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_Dev_1/ann@x.org",
            "",
            {},
            ("ann@x.org", None, "role session name"),
        ),
        (f"arn:aws:sts::{ACCOUNT}:assumed-role/ci-runner/i-0abc", "", {}, (None, None, "unattributed")),
        (f"arn:aws:iam::{ACCOUNT}:user/bob", "", {}, ("bob@x.org", None, "iam user + email_domain")),
        (f"arn:aws:iam::{ACCOUNT}:user/mapped", "", {}, ("carol@x.org", None, "principal map")),
        (
            f"arn:aws:sts::{ACCOUNT}:assumed-role/gw/t-1",
            "",
            {"user_email": "dan@x.org"},
            ("dan@x.org", None, "tag user_email"),
        ),
        (
            f"arn:aws:sts::{ACCOUNT}:assumed-role/gw/t-1",
            PROFILE,
            {},
            ("eve@x.org", "search", "application inference profile"),
        ),
        (None, "", {}, (None, None, "unattributed")),
    ],
)
def test_attribution_order(principal: str | None, resource: str, tags: dict[str, str], want: tuple) -> None:
    rules = Attribution(
        principals={f"arn:aws:iam::{ACCOUNT}:user/mapped": "carol@x.org"},
        profiles={PROFILE: ProfileOwner(user="eve@x.org", team="search")},
        email_domain="x.org",
    )
    owner = attribute(rules, principal, resource, tags)
    assert (owner.user, owner.team, owner.how) == want


def test_session_name_needs_a_session() -> None:
    assert session_name(f"arn:aws:sts::{ACCOUNT}:assumed-role/OnlyRole") is None
    assert session_name(f"arn:aws:iam::{ACCOUNT}:user/bob") is None


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("USE1-Claude4.6Sonnet-input-tokens", "sonnet-4.6"),
        ("USW2-Claude4.5Opus-cache-read-input-token-count", "opus-4.5"),
        ("EUC1-Claude3.5Haiku-output-tokens", "haiku-3.5"),
        ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "sonnet-4.5"),
        ("claude-sonnet-4-20250514", "sonnet-4"),
        ("claude-opus-4-1-20250805", "opus-4.1"),
        ("claude-3-7-sonnet-20250219", "sonnet-3.7"),
        ("global.anthropic.claude-haiku-4-5-20251001-v1:0", "haiku-4.5"),
        ("claude-opus-5-5", "opus-5.5"),
        ("USE1-TitanEmbedG1-Text-input-tokens", None),
    ],
)
def test_usage_types_and_telemetry_ids_meet_on_one_key(text: str, key: str | None) -> None:
    assert model_key(text) == key


def test_token_direction_of_a_usage_type() -> None:
    assert token_type("USE1-Claude4.6Sonnet-cache-write-input-token-count") == "cacheCreation"
    assert token_type("USE1-Claude4.6Sonnet-cache-read-input-token-count") == "cacheRead"
    assert token_type("USE1-Claude4.6Sonnet-output-tokens") == "output"
    assert token_type("USE1-Claude4.6Sonnet-input-tokens") == "input"
