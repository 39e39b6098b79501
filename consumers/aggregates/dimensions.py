"""What window aggregates can be grouped by, and how signatures are stored.

Window rows keep sums per *label signature* (`schemas.dimensions`: the tuple of every groupable attribute of a data
point, missing ones empty), stored as one string key (`signature_key`). A data point counts towards a grouping
only when it carries every attribute of it (`type` is the token type for token.usage, added/removed for
lines_of_code, user/cli for active_time).
Per-user sums live in the user partials (`UserPartial`), keyed by `user.email` falling back to `user.id`.
"""

from __future__ import annotations

from schemas.dimensions import GROUPABLE_ATTRIBUTES, Signature, signature_of

__all__ = [
    "GROUPABLE_ATTRIBUTES",
    "OTHER_GROUP",
    "VALUE_SEPARATOR",
    "Signature",
    "model_and_type",
    "other_key",
    "signature_key",
    "signature_of",
    "split_key",
]

#: Separator between attribute values in a stored signature key (never appears in real attribute values).
VALUE_SEPARATOR = "\x1f"

#: The group that holds everything past the distinct-group limit of a window row (`Tunables.max_groups_per_window`):
#: every attribute reads `__other__`, so each grouping shows the overflow as one `__other__` value and every total
#: stays exact.
OTHER_GROUP = "__other__"


def other_key(attrs: tuple[str, ...] = GROUPABLE_ATTRIBUTES) -> str:
    """The stored signature key of the `__other__` group for rows keyed by `attrs`."""
    return VALUE_SEPARATOR.join([OTHER_GROUP] * len(attrs))


def signature_key(sig: Signature) -> str:
    return VALUE_SEPARATOR.join(v or "" for v in sig)


def split_key(key: str) -> list[str]:
    return key.split(VALUE_SEPARATOR)


_MODEL = GROUPABLE_ATTRIBUTES.index("model")
_TYPE = GROUPABLE_ATTRIBUTES.index("type")


def model_and_type(sig: Signature) -> tuple[str, str]:
    return sig[_MODEL] or "", sig[_TYPE] or ""
