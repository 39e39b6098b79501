"""Which developer a CUR line belongs to, and which setups make that possible.

A line is attributed, first match wins, by:
1. a cost allocation tag holding the developer (`user_tags`, e.g. a session tag `user_email` passed when the
   developer's credentials are issued, activated as a cost allocation tag): the tag value;
2. an application inference profile per developer or team (`profiles`: profile ARN → user and/or team), matched on
   `line_item_resource_id`;
3. the IAM principal (`line_item_iam_principal`, CUR 2.0 with caller identity): an explicit `principals` entry
   (ARN → developer), else the role session name of `assumed-role/<role>/<session>` when it is an e-mail (IAM
   Identity Center and most OIDC/SAML federations put the user's e-mail there), else an IAM user's name with
   `email_domain` appended when that is configured.
Anything else is unattributed: shared roles (a CI runner, a gateway that calls Bedrock with one role for everyone),
access keys shared by a team, and exports without caller identity. A gateway that calls Bedrock with one role
attributes to a person only through per-developer application inference profiles or session tags.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import msgspec


class ProfileOwner(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    user: str | None = None
    team: str | None = None


class Attribution(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The `bill` section of the configuration (YAML, see `bill.example.yaml`)."""

    principals: dict[str, str] = msgspec.field(default_factory=dict)
    user_tags: tuple[str, ...] = ("user_email",)
    profiles: dict[str, ProfileOwner] = msgspec.field(default_factory=dict)
    email_domain: str | None = None
    #: relative difference (of the larger side) under which a developer's bill and telemetry agree
    tolerance: float = 0.02
    #: absolute difference (USD) under which they agree whatever the ratio (rounding of small amounts)
    tolerance_usd: float = 0.01


@dataclass(frozen=True)
class Owner:
    user: str | None
    team: str | None
    how: str  # "tag user_email", "profile", "principal map", "role session", "iam user", "unattributed"


def session_name(principal: str) -> str | None:
    """`arn:aws:sts::1:assumed-role/Role/alice@x.org` → `alice@x.org`; None for other principals."""
    if ":assumed-role/" not in principal:
        return None
    parts = principal.split(":assumed-role/", 1)[1].split("/")
    return parts[1] if len(parts) >= 2 and parts[1] else None


def iam_user_name(principal: str) -> str | None:
    if ":user/" not in principal:
        return None
    return principal.rsplit("/", 1)[-1] or None


def attribute(
    rules: Attribution, principal: str | None, resource_id: str | None, tags: Mapping[str, str | None]
) -> Owner:
    for key in rules.user_tags:
        value = tags.get(key)
        if value:
            return Owner(value, None, f"tag {key}")
    if resource_id and resource_id in rules.profiles:
        owner = rules.profiles[resource_id]
        return Owner(owner.user, owner.team, "application inference profile")
    principal = principal or ""
    if principal in rules.principals:
        return Owner(rules.principals[principal], None, "principal map")
    session = session_name(principal)
    if session and "@" in session:
        return Owner(session, None, "role session name")
    name = iam_user_name(principal)
    if name and rules.email_domain:
        return Owner(f"{name}@{rules.email_domain}", None, "iam user + email_domain")
    return Owner(None, None, "unattributed")
