"""What a data point is grouped by: the groupable attributes and the label signature built from them.

Declared here, beside the catalogue, because both the line readers (`consumers/decode/`) and the aggregates
(`consumers/aggregates/`) need them, and imports point one way: decode → windows → aggregates → sink, with
`schemas/` below all of them. `consumers.aggregates.dimensions` builds the stored keys and groupings on top.

A signature is the tuple of every groupable attribute of a data point (missing ones None). Any `--by` combination of
groupable attributes is answered by projecting signatures at read time, so the write path does one update per
signature, and new models, teams or languages need no code change.
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

Signature = tuple[str | None, ...]


def signature_of(attributes: dict[str, str]) -> Signature:
    return tuple(map(attributes.get, GROUPABLE_ATTRIBUTES))
