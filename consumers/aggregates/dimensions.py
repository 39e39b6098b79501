"""The dimension sets every metric is summed by, per window.

A data point counts towards a dimension set only when it carries every attribute of the set, so the sets apply to
any metric generically (`type` is the token type for token.usage, added/removed for lines_of_code, user/cli for
active_time). Values come from the data: new models, teams or languages need no code change.
Per-user sums live in the user partials (`UserPartial`), keyed by `user.email` falling back to `user.id`.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Separator between attribute values in a stored key (never appears in real attribute values).
VALUE_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class DimensionSet:
    name: str
    attributes: tuple[str, ...]

    def key_of(self, attributes: dict[str, str]) -> str | None:
        """The stored key of a data point's values, or None when it lacks an attribute of this set."""
        if not self.attributes:
            return ""
        values = []
        for a in self.attributes:
            v = attributes.get(a)
            if not v:
                return None
            values.append(v)
        return VALUE_SEPARATOR.join(values)

    def values_of(self, key: str) -> dict[str, str]:
        if not self.attributes:
            return {}
        return dict(zip(self.attributes, key.split(VALUE_SEPARATOR), strict=True))


DIMENSION_SETS: tuple[DimensionSet, ...] = (
    DimensionSet("total", ()),
    DimensionSet("model", ("model",)),
    DimensionSet("type", ("type",)),
    DimensionSet("model+type", ("model", "type")),
    DimensionSet("department", ("department",)),
    DimensionSet("team.id", ("team.id",)),
    DimensionSet("cost_center", ("cost_center",)),
    DimensionSet("organization", ("organization",)),
    DimensionSet("terminal.type", ("terminal.type",)),
    DimensionSet("decision", ("decision",)),
    DimensionSet("tool_name", ("tool_name",)),
    DimensionSet("language", ("language",)),
    DimensionSet("decision+language", ("decision", "language")),
    DimensionSet("tool_name+decision", ("tool_name", "decision")),
)

_BY_ATTRS = {ds.attributes: ds for ds in DIMENSION_SETS}
_BY_NAME = {ds.name: ds for ds in DIMENSION_SETS}


def dimension_set(attributes: tuple[str, ...] | list[str]) -> DimensionSet | None:
    """The stored dimension set for these `--by` attributes (any order), or None."""
    wanted = tuple(attributes)
    if wanted in _BY_ATTRS:
        return _BY_ATTRS[wanted]
    for ds in DIMENSION_SETS:
        if sorted(ds.attributes) == sorted(wanted):
            return ds
    return None


def dimension_set_named(name: str) -> DimensionSet:
    return _BY_NAME[name]
