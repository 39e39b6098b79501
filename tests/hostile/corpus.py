"""The hostile corpus: wrong JSON types in every field of the subscription envelope and of the EMF line, a gzip bomb,
skewed clocks and the review's cases (review-2026-12.md), each mixed with good lines, and what each item must give.

Built with json/gzip only (no ccstream code), so the expectations are independent: every item says which commit
value it adds to which minute (`counts`) and which dead-letter reasons it must produce (`reasons`: for the whole
record when `index` is -1). The rules the expectations follow are written down here, per field:

- envelope: any field of the wrong type (or the envelope not an object) → the record is `bad_envelope`;
- `_aws`: null → a line without EMF metadata, timed by its log event (counted); another non-object → `bad_metadata`;
  `_aws.Timestamp` not a number → `no_timestamp`;
- `CloudWatchMetrics`, a directive, `Dimensions` (and its lists and names), `Metrics`, a metric entry, its `Name`
  of the wrong type → `bad_metadata`; `Namespace` is not read (counted); `Unit` null means no unit, another
  non-string is no unit either, `bad_unit` (the line counts);
- the metric value: null → `missing_value`; bool, string, non-histogram object → `non_numeric_value`; a list → its
  items are values;
- an attribute: bool and number are kept as text; null, list and object → dropped, `bad_attribute_type` (the line
  still counts); `Version` is EMF's own key (ignored);
- a line that is JSON but not an object → `not_emf`.
"""

from __future__ import annotations

import copy
import gzip
import json
import zlib
from dataclasses import dataclass, field
from typing import Any

COMMITS = "claude_code.commit.count"
#: 2025-11-21T00:00:00Z: each case gets its own minute after this.
T0 = 1_763_683_200_000
MINUTE = 60_000
WRONG: dict[str, Any] = {"null": None, "bool": True, "number": 7, "string": "x", "list": [1], "object": {"k": "v"}}
COUNT = "counted"


@dataclass
class Item:
    """One log event (index ≥ 0) or a whole record (index -1) and what it must give."""

    case: str
    record: int  # index of its record in the corpus
    index: int
    counts: dict[int, float] = field(default_factory=dict)  # minute start → commit value it adds
    reasons: tuple[str, ...] = ()  # dead-letter reasons it must produce, sorted
    kind: str = ""  # the wrong JSON type it carries, if any
    #: minute start → commit value it adds to the lake, when that differs from `counts` (the lake has no lateness)
    lake: dict[int, float] | None = None


@dataclass
class Record:
    case: str
    data: bytes
    arrival_ms: int


@dataclass
class Corpus:
    records: list[Record] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    #: record index ranges per case (a case is delivered as one KCL batch)
    cases: dict[str, list[int]] = field(default_factory=dict)

    def expected_minutes(self) -> dict[int, float]:
        out: dict[int, float] = {}
        for item in self.items:
            for minute, v in item.counts.items():
                out[minute] = out.get(minute, 0.0) + v
        return out

    def expected_lake_minutes(self) -> dict[int, float]:
        out: dict[int, float] = {}
        for item in self.items:
            for minute, v in (item.counts if item.lake is None else item.lake).items():
                out[minute] = out.get(minute, 0.0) + v
        return out

    def expected_lake_letters(self) -> dict[tuple[int, int], tuple[str, ...]]:
        """As `expected_letters`, for the lake: late and future points are rows there (no lateness screening)."""
        return {(i.record, i.index): i.reasons for i in self.items if i.reasons and i.lake is None}

    def expected_letters(self) -> dict[tuple[int, int], tuple[str, ...]]:
        """(record, index) → sorted reasons, for every item that must give any (the aggregator and the lake give
        the same letters, but for the lateness screen: `expected_lake_letters`)."""
        return {(i.record, i.index): i.reasons for i in self.items if i.reasons}


def base_doc(ts: int, value: Any = 1, **labels: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "OTelLib": "com.anthropic.claude_code",
        "Version": "1",
        "_aws": {
            "CloudWatchMetrics": [
                {
                    "Namespace": "claude-code",
                    "Dimensions": [["OTelLib"]],
                    "Metrics": [{"Name": COMMITS, "Unit": "Count"}],
                }
            ],
            "Timestamp": ts,
        },
        "department": "engineering",
        "team.id": "payments",
        "session.id": "s-1",
        "user.email": "jane@example.com",
        "user.id": "u-1",
    }
    doc.update(labels)
    doc[COMMITS] = value
    return doc


def envelope(events: list[tuple[str, int, str]], **override: Any) -> dict[str, Any]:
    env: dict[str, Any] = {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": "/aws/claude-code/metrics",
        "logStream": "otel-stream-hostile",
        "subscriptionFilters": ["f"],
        "logEvents": [{"id": i, "timestamp": ts, "message": m} for i, ts, m in events],
    }
    env.update(override)
    return env


def bomb(megabytes: int) -> bytes:
    """gzip of a JSON envelope `megabytes` MB long (compresses ~1,000:1), built without holding it whole."""
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"0" * (1 << 20)
    parts = [z.compress(b'{"messageType":"DATA_MESSAGE","x":"')]
    parts += [z.compress(chunk) for _ in range(megabytes)]
    parts.append(z.compress(b'"}') + z.flush())
    return b"".join(parts)


def gz(doc: Any) -> bytes:
    return gzip.compress(json.dumps(doc).encode(), mtime=0)


#: (path into the line, the JSON type that is right there) for every field of a real awsemf line.
DIRECTIVE = ("_aws", "CloudWatchMetrics", 0)
LINE_FIELDS: list[tuple[tuple[Any, ...], str]] = [
    (("_aws",), "object"),
    (("_aws", "Timestamp"), "number"),
    (("_aws", "CloudWatchMetrics"), "list"),
    (DIRECTIVE, "object"),
    ((*DIRECTIVE, "Namespace"), "string"),
    ((*DIRECTIVE, "Dimensions"), "list"),
    ((*DIRECTIVE, "Dimensions", 0), "list"),
    ((*DIRECTIVE, "Dimensions", 0, 0), "string"),
    ((*DIRECTIVE, "Metrics"), "list"),
    ((*DIRECTIVE, "Metrics", 0), "object"),
    ((*DIRECTIVE, "Metrics", 0, "Name"), "string"),
    ((*DIRECTIVE, "Metrics", 0, "Unit"), "string"),
    ((COMMITS,), "number"),
    (("OTelLib",), "string"),
    (("Version",), "string"),
    (("department",), "string"),
    (("team.id",), "string"),
    (("session.id",), "string"),
    (("user.email",), "string"),
    (("user.id",), "string"),
]
LABELS = {"OTelLib", "department", "team.id", "session.id", "user.email", "user.id"}


def line_outcome(path: tuple[Any, ...], kind: str) -> tuple[str, ...]:
    """What a line with `path` replaced by a value of JSON type `kind` must give: COUNT and/or reasons."""
    top = path[0]
    if path == ("_aws",):
        return (COUNT,) if kind == "null" else ("bad_metadata",)
    if path == ("_aws", "Timestamp"):
        return ("no_timestamp",)
    if path[:2] == ("_aws", "CloudWatchMetrics"):
        if path[-1] == "Namespace":
            return (COUNT,)
        if path[-1] == "Unit":
            return (COUNT,) if kind == "null" else (COUNT, "bad_unit")
        return ("bad_metadata",)
    if top == COMMITS:
        return {
            "null": ("missing_value",),
            "list": (COUNT,),
        }.get(kind, ("non_numeric_value",))
    if top == "Version":
        return (COUNT,)
    assert top in LABELS, path
    return (COUNT,) if kind in ("bool", "number") else (COUNT, "bad_attribute_type")


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    doc = copy.deepcopy(doc)
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return doc


#: (message, log event time, {minute: commit value counted}, dead-letter reasons)
Event = tuple[str, int, dict[int, float], tuple[str, ...]]


class Builder:
    def __init__(self, t0: int = T0) -> None:
        self.corpus = Corpus()
        self.minute = t0 - t0 % 3_600_000

    def case(self, name: str) -> int:
        """Start a case in a fresh minute; returns that minute's start."""
        self.minute += MINUTE
        self.corpus.cases[name] = []
        return self.minute

    def record(self, case: str, data: bytes, arrival_ms: int | None = None) -> int:
        self.corpus.records.append(Record(case, data, arrival_ms or self.minute + 90_000))
        self.corpus.cases[case].append(len(self.corpus.records) - 1)
        return len(self.corpus.records) - 1

    def item(self, case: str, record: int, index: int, counts: dict[int, float], *reasons: str, kind: str = "") -> None:
        self.corpus.items.append(Item(case, record, index, counts, tuple(sorted(reasons)), kind))

    def lines(self, case: str, lines: list[Event], kinds: list[str] | None = None, **kw: Any) -> int:
        """One record of log events (message, event time, counts, reasons), each event also an item."""
        rec = self.record(case, gz(envelope([(str(i), ts, m) for i, (m, ts, _, _) in enumerate(lines)])), **kw)
        for i, (_, _, counts, reasons) in enumerate(lines):
            self.item(case, rec, i, counts, *reasons, kind=(kinds or [""] * len(lines))[i])
        return rec


def good(ts: int, value: float = 1.0, **labels: Any) -> Event:
    return json.dumps(base_doc(ts, value, **labels)), ts, {ts - ts % MINUTE: value}, ()


def build(t0: int = T0) -> Corpus:
    """The corpus, its cases in the minutes after the hour of `t0` (an hour or two before now for a real stream,
    whose arrival times are now)."""
    b = Builder(t0)

    # Wrong JSON types in every field of an EMF line: one record per field, good lines around the bad ones.
    for path, right in LINE_FIELDS:
        name = "line:" + ".".join(map(str, path))
        m = b.case(name)
        lines, kinds = [good(m + 1_000)], [""]
        for kind, value in WRONG.items():
            if kind == right:
                continue
            outcome = line_outcome(path, kind)
            ts = m + 2_000 + len(lines)
            text = json.dumps(_set(base_doc(ts), path, value))
            counts = {m: 1.0} if COUNT in outcome else {}
            lines.append((text, ts, counts, tuple(r for r in outcome if r != COUNT)))
            kinds.append(kind)
        lines.append(good(m + 59_000, 2.0))
        b.lines(name, lines, [*kinds, ""])

    # A line that is JSON but not an object.
    m = b.case("line:not-an-object")
    b.lines(
        "line:not-an-object",
        [good(m + 1_000)]
        + [(json.dumps(v), m + 2_000, {}, ("not_emf",)) for k, v in WRONG.items() if k != "object"]
        + [good(m + 3_000)],
    )

    # Wrong JSON types in every field of the subscription envelope: the record is dead, the good ones around count.
    m = b.case("envelope")
    event = [("1", m + 5_000, json.dumps(base_doc(m + 5_000)))]
    b.lines("envelope", [good(m + 1_000)])
    fields = {
        "messageType": "string",
        "owner": "string",
        "logGroup": "string",
        "logStream": "string",
        "subscriptionFilters": "list",
        "logEvents": "list",
    }
    for fname, right in fields.items():
        for kind, value in WRONG.items():
            if kind == right:
                continue
            rec = b.record("envelope", gz(envelope(event, **{fname: value})))
            b.item("envelope", rec, -1, {}, "bad_envelope")
    one = {"id": "1", "timestamp": m + 5_000, "message": json.dumps(base_doc(m + 5_000))}
    for key, right in {"id": "string", "timestamp": "number", "message": "string"}.items():
        for kind, value in WRONG.items():
            if kind == right or (key == "id" and kind == "number"):  # ids are strings or (moto) integers
                continue
            rec = b.record("envelope", gz(envelope([], logEvents=[{**one, key: value}])))
            b.item("envelope", rec, -1, {}, "bad_envelope")
    for kind, value in WRONG.items():
        if kind != "object":
            rec = b.record("envelope", gz(envelope([], logEvents=[value])))
            b.item("envelope", rec, -1, {}, "bad_envelope")
            rec = b.record("envelope", gz(value))
            b.item("envelope", rec, -1, {}, "bad_envelope")
    b.lines("envelope", [good(m + 59_000, 3.0)])

    # A gzip bomb (200 MB of JSON in ~200 KB) between good records.
    m = b.case("gzip-bomb")
    b.lines("gzip-bomb", [good(m + 1_000)])
    rec = b.record("gzip-bomb", bomb(200))
    b.item("gzip-bomb", rec, -1, {}, "oversized_record")
    b.lines("gzip-bomb", [good(m + 2_000)])

    # Skewed clocks: a client 1 h ahead counts (within the 2 h allowed), 5 h ahead is `future`; a client 3 days
    # behind the shard's watermark is `late`; ts=1 and ts=1e25 are outside the sane range.
    m = b.case("skewed-clock")
    ahead = m + 3_600_000
    b.lines(
        "skewed-clock",
        [
            good(m + 1_000),
            (json.dumps(base_doc(ahead)), ahead, {ahead: 1.0}, ()),
            (json.dumps(base_doc(m + 5 * 3_600_000)), m, {}, ("future",)),
            (json.dumps(base_doc(m - 3 * 86_400_000)), m, {}, ("late",)),
            (json.dumps(base_doc(1)), m, {}, ("timestamp_out_of_range",)),
            (json.dumps(base_doc(10**25)), m, {}, ("timestamp_out_of_range",)),
            good(m + 2_000),
        ],
        arrival_ms=m + 60_000,
    )
    future, late = b.corpus.items[-5], b.corpus.items[-4]
    future.lake, late.lake = {m + 5 * 3_600_000: 1.0}, {m - 3 * 86_400_000: 1.0}

    # The review's single-line cases, each between good lines.
    m = b.case("review")
    many_bad = base_doc(m + 4_000)
    for i in range(2_000):
        many_bad[f"claude_code.bad{i:04d}"] = "NaN"
    long_name = base_doc(m + 5_000)
    long_name["claude_code." + "x" * 1_000] = -1
    b.lines(
        "review",
        [
            good(m + 1_000),
            (json.dumps(base_doc(m + 2_000, department="d" * 470_000)), m, {m: 1.0}, ("attribute_truncated",)),
            (json.dumps(base_doc(m + 3_000, department="Développement")), m, {m: 1.0}, ()),
            (json.dumps(many_bad), m, {m: 1.0}, ("non_numeric_value", "points_limited")),
            (json.dumps(long_name), m, {m: 1.0}, ("negative_value",)),
            (
                json.dumps(base_doc(m + 6_000, **{"user.email": "x" * 1_100 + "@x.com"})),
                m,
                {m: 1.0},
                ("attribute_truncated",),
            ),
            good(m + 7_000),
        ],
    )
    sixteen = [
        (
            json.dumps(base_doc(m + 8_000 + i, department=f"{i:02d}" + "v" * 16_000)),
            m,
            {m: 1.0},
            ("attribute_truncated",),
        )
        for i in range(30)
    ]
    b.lines("review", sixteen)

    # Groups and sessions past their (lowered) limits, mixed with good lines: totals stay exact.
    m = b.case("limits")
    crowd = [good(m + 1_000 + i, department=f"dep-{i:03d}", **{"session.id": f"bot-{i}"}) for i in range(300)]
    b.lines("limits", crowd[:150])
    b.lines("limits", crowd[150:])
    return b.corpus
