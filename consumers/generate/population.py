"""Synthetic Claude Code users: who they are (collector attributes) and how they work (activity profile).

Deterministic for a given (count, seed). About 15% of users sign in without OAuth, so their data points carry no
`user.email`; `user.id` is the sha256 of the IdP subject formatted as a UUID, as the collector's credential helper
sets it. The collector's `default-team` / `unspecified` / `general` fallbacks appear for a few users.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from dataclasses import dataclass

#: Share of users whose exports have no `user.email`.
NO_EMAIL_SHARE = 0.15

ORGANIZATION_ID = "4f6d2c1e-8a3b-4c7d-9e5f-0a1b2c3d4e5f"
AWS_ACCOUNT_ID = "123456789012"
EMAIL_DOMAIN = "example.com"

_FIRST = (
    "jane", "omar", "li", "priya", "lucas", "amara", "kenji", "sofia", "mateo", "fatima", "noah", "ingrid",
    "ravi", "chen", "elena", "tomas", "aisha", "yuki", "diego", "hana", "marco", "zoe", "ahmed", "freya",
)  # fmt: skip
_LAST = (
    "doe", "haddad", "wei", "sharma", "martin", "okafor", "sato", "rossi", "garcia", "khan", "nguyen",
    "berg", "iyer", "zhang", "petrova", "novak", "bello", "tanaka", "lopez", "kim", "bianchi", "smith",
)  # fmt: skip

#: department → teams (cost centre is per department)
_DEPARTMENTS: dict[str, tuple[str, ...]] = {
    "engineering": ("payments-api", "checkout-web", "identity", "search"),
    "platform": ("infra-core", "developer-experience", "observability"),
    "data-science": ("ml-platform", "forecasting"),
    "mobile": ("ios-app", "android-app"),
    "security": ("appsec",),
}
_COST_CENTERS = {
    "engineering": "CC-1001", "platform": "CC-1002", "data-science": "CC-2001",
    "mobile": "CC-1003", "security": "CC-3001",
}  # fmt: skip
_ROLES = ("software-engineer", "senior-engineer", "staff-engineer", "data-scientist", "sre", "engineering-manager")

#: (location, UTC offset in minutes on the simulated dates, weight)
LOCATIONS: tuple[tuple[str, int, float], ...] = (
    ("us-west/san-francisco", -8 * 60, 0.22),
    ("us-east/new-york", -5 * 60, 0.22),
    ("us-central/austin", -6 * 60, 0.08),
    ("eu-west/london", 0, 0.12),
    ("eu-central/berlin", 60, 0.10),
    ("ap-south/bangalore", 330, 0.12),
    ("ap-northeast/tokyo", 540, 0.08),
    ("ap-southeast/sydney", 660, 0.06),
)

#: Claude Code versions; `newer` ones add `start_type` to sessions and `model` to lines of code.
VERSIONS: tuple[tuple[str, bool, float], ...] = (
    ("2.0.55", True, 0.45),
    ("2.0.37", True, 0.30),
    ("1.0.128", False, 0.25),
)
_TERMINALS = ("vscode", "iTerm.app", "cursor", "Apple_Terminal", "WarpTerminal", "tmux", "xterm-256color", "pycharm")
_TERMINAL_WEIGHTS = (30, 20, 14, 8, 8, 8, 6, 6)
#: (os.type, os.version, host.arch, weight)
_PLATFORMS = (
    ("darwin", "24.6.0", "arm64", 55),
    ("darwin", "25.1.0", "arm64", 12),
    ("linux", "6.8.0-1019-aws", "amd64", 18),
    ("linux", "6.14.0-35-generic", "amd64", 8),
    ("windows", "10.0.26100", "amd64", 7),
)
_LANGUAGES = ("TypeScript", "Python", "Go", "Java", "Rust", "Markdown", "JSON", "YAML", "Shell", "SQL")

#: Main models by share of users (Bedrock inference profile ids). Background work goes to a Haiku model.
MAIN_MODELS: tuple[tuple[str, float], ...] = (
    ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", 0.34),
    ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", 0.12),
    ("us.anthropic.claude-opus-4-5-20251101-v1:0", 0.24),
    ("us.anthropic.claude-sonnet-4-20250514-v1:0", 0.18),
    ("us.anthropic.claude-opus-4-1-20250805-v1:0", 0.06),
    ("us.anthropic.claude-3-7-sonnet-20250219-v1:0", 0.06),
)
BACKGROUND_MODELS: tuple[tuple[str, float], ...] = (
    ("global.anthropic.claude-haiku-4-5-20251001-v1:0", 0.8),
    ("us.anthropic.claude-3-5-haiku-20241022-v1:0", 0.2),
)


@dataclass(frozen=True)
class UserProfile:
    """One simulated developer. `labels` are the attributes every data point of theirs carries."""

    index: int
    labels: dict[str, str]
    utc_offset_min: int
    newer_client: bool
    engagement: float  # scales the chance of being in a session
    intensity: float  # scales requests and edits per active minute
    main_model: str
    background_model: str
    terminals: tuple[str, ...]
    languages: tuple[str, ...]
    language_weights: tuple[float, ...]

    @property
    def email(self) -> str | None:
        return self.labels.get("user.email")


def idp_user_id(subject: str) -> str:
    """`user.id` as the credential helper sets it: sha256 of the IdP subject, formatted as a UUID."""
    return str(uuid.UUID(hashlib.sha256(subject.encode()).hexdigest()[:32]))


def _uuid4(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([w[0] for w in weighted], [w[1] for w in weighted])[0]


def build_population(count: int, seed: int) -> list[UserProfile]:
    """`count` users, deterministic for (`count`, `seed`)."""
    rng = random.Random(f"population:{seed}")
    managers = {dept: f"{rng.choice(_FIRST)}.{rng.choice(_LAST)}@{EMAIL_DOMAIN}" for dept in _DEPARTMENTS}
    without_email = set(rng.sample(range(count), round(count * NO_EMAIL_SHARE)))
    return [_user(rng, i, managers, i not in without_email) for i in range(count)]


def _user(rng: random.Random, index: int, managers: dict[str, str], has_email: bool) -> UserProfile:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    handle = f"{first}.{last}{index}"
    dept = rng.choice(tuple(_DEPARTMENTS))
    team = rng.choice(_DEPARTMENTS[dept])
    cost_center = _COST_CENTERS[dept]
    if rng.random() < 0.08:  # the collector's fallbacks when the IdP has no value
        dept, team, cost_center = "unspecified", "default-team", "general"
    location, offset_min, _ = rng.choices(LOCATIONS, [loc[2] for loc in LOCATIONS])[0]
    version, newer, _ = rng.choices(VERSIONS, [v[2] for v in VERSIONS])[0]
    os_type, os_version, arch, _ = rng.choices(_PLATFORMS, [p[3] for p in _PLATFORMS])[0]
    labels = {
        "user.id": idp_user_id(f"okta|00u{rng.getrandbits(64):016x}"),
        "user.name": f"{first.title()} {last.title()}",
        "user.account_uuid": _uuid4(rng),
        "organization.id": ORGANIZATION_ID,
        "department": dept,
        "team.id": team,
        "cost_center": cost_center,
        "organization": "okta",
        "location": location,
        "role": rng.choice(_ROLES),
        "manager": managers.get(dept, "unspecified"),
        "service.name": "claude-code",
        "service.version": version,
        "os.type": os_type,
        "os.version": os_version,
        "host.arch": arch,
        "aws.account_id": AWS_ACCOUNT_ID,
        "deployment.environment": "production",
    }
    if has_email:
        labels["user.email"] = f"{handle}@{EMAIL_DOMAIN}"
    langs = tuple(rng.sample(_LANGUAGES, 4))
    return UserProfile(
        index=index,
        labels=labels,
        utc_offset_min=offset_min,
        newer_client=newer,
        engagement=min(1.6, rng.lognormvariate(0.0, 0.35)),
        intensity=min(3.0, rng.lognormvariate(0.0, 0.45)),
        main_model=_pick(rng, MAIN_MODELS),
        background_model=_pick(rng, BACKGROUND_MODELS),
        terminals=tuple(dict.fromkeys(rng.choices(_TERMINALS, _TERMINAL_WEIGHTS, k=2))),
        languages=langs,
        language_weights=(0.55, 0.25, 0.12, 0.08),
    )
