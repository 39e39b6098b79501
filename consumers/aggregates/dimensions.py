"""What window aggregates can be grouped by.

Window rows keep sums per *label signature*: the tuple of every groupable attribute of a data point (missing ones
empty). Any `--by` combination of groupable attributes is answered by projecting signatures at read time, so the
write path does one update per signature, and new models, teams or languages need no code change. A data point
counts towards a grouping only when it carries every attribute of it (`type` is the token type for token.usage,
added/removed for lines_of_code, user/cli for active_time).
Per-user sums live in the user partials (`UserPartial`), keyed by `user.email` falling back to `user.id`.
"""

from __future__ import annotations

#: Attributes window aggregates can be grouped by, in the order they appear in a signature.
GROUPABLE_ATTRIBUTES: tuple[str, ...] = (
    "model",
    "type",
    "department",
    "team.id",
    "cost_center",
    "organization",
    "decision",
    "tool_name",
    "language",
)
# Not groupable on purpose: `terminal.type` and the edit decision's `source` multiply the number of signatures
# (and so the size of every window row) for little analytic value; both stay in the lake for ad-hoc questions.

#: Separator between attribute values in a stored signature key (never appears in real attribute values).
VALUE_SEPARATOR = "\x1f"

Signature = tuple[str | None, ...]

#: The group that holds everything past the distinct-group limit of a window row (`Tunables.max_groups_per_window`):
#: every attribute reads `__other__`, so each grouping shows the overflow as one `__other__` value and every total
#: stays exact.
OTHER_GROUP = "__other__"


def other_key(attrs: tuple[str, ...] = GROUPABLE_ATTRIBUTES) -> str:
    """The stored signature key of the `__other__` group for rows keyed by `attrs`."""
    return VALUE_SEPARATOR.join([OTHER_GROUP] * len(attrs))


def signature_of(attributes: dict[str, str]) -> Signature:
    return tuple(map(attributes.get, GROUPABLE_ATTRIBUTES))


def signature_key(sig: Signature) -> str:
    return VALUE_SEPARATOR.join(v or "" for v in sig)


def split_key(key: str) -> list[str]:
    return key.split(VALUE_SEPARATOR)


_MODEL = GROUPABLE_ATTRIBUTES.index("model")
_TYPE = GROUPABLE_ATTRIBUTES.index("type")


def model_and_type(sig: Signature) -> tuple[str, str]:
    return sig[_MODEL] or "", sig[_TYPE] or ""
