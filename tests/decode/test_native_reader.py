"""The native scanner (`read` of `consumers/native/_core.c`) agrees with the generic parser on every line it
accepts, reads every real collector line, and leaves the rest to the Python readers with the same results.

The reference is `schemas.emf.parse_line` turned into a `Line` by plain look-ups (`test_line_reader.reference`), so
a wrong field, a missed or doubled value, or invalid JSON it let through shows up as a difference. Lines come from
the ordinary-line generator of the Python fast path's test, then are mutated as text (whitespace, escapes, cuts,
stray bytes, deep nesting, non-ASCII), since a hand-written JSON scanner can go wrong in places msgspec does not.
The scanner must be built (`make native`, part of `make setup`): these tests fail rather than skip without it.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consumers import native as native_core
from consumers.decode import native
from consumers.decode.lines import FAST_METRICS, read_fast
from consumers.decode.records import decode_record, read_lines
from consumers.model import SourceRecord
from schemas.dimensions import GROUPABLE_ATTRIBUTES
from schemas.emf import DEFAULT_LIMITS, LineLimits
from tests.core.test_line_reader import as_tuple, emf_lines, reference

FIXTURES = Path(__file__).parents[1] / "fixtures"
REAL_EMF = [FIXTURES / "collector.emf.ndjson", FIXTURES / "realcli" / "realcli.emf.ndjson"]
REAL_KINESIS = [FIXTURES / "collector.kinesis.jsonl", FIXTURES / "realcli" / "realcli.kinesis.jsonl"]


def test_the_scanner_is_built() -> None:
    assert native_core.available(), "the native core is not built: run `make native`"


def scan(line: str, limits: LineLimits = DEFAULT_LIMITS) -> object:
    got = native.read_native([line], limits)
    assert got is not None and len(got) == 1
    return got[0]


def check(line: str, limits: LineLimits = DEFAULT_LIMITS) -> object:
    """The scanner's verdict on one line; whatever it accepts equals the reference and the Python fast path."""
    got = scan(line, limits)
    if got is not None:
        assert as_tuple(got) == reference(line), line
        assert got.index == 0  # type: ignore[attr-defined]
        fast = read_fast(0, line, limits)
        if fast is not None:
            assert got == fast, line
    return got


@pytest.mark.parametrize("path", REAL_EMF, ids=lambda p: p.name)
def test_every_real_collector_line_is_read_natively_and_equal(path: Path) -> None:
    lines = [ln for ln in path.read_text().splitlines() if ln.strip()]
    assert lines
    got = native.read_native(lines)
    assert got is not None
    for i, (line, scanned) in enumerate(zip(lines, got, strict=True)):
        fast = read_fast(i, line)
        if fast is None:  # agents_view lines and other unusual ones: the scanner must leave them too
            assert scanned is None, line
            continue
        assert scanned == fast, line
        assert as_tuple(scanned) == reference(line)
    assert sum(s is not None for s in got) >= 0.95 * len(lines)  # the fast path is really taken


@pytest.mark.parametrize("path", REAL_KINESIS, ids=lambda p: p.name)
def test_real_records_read_the_same_with_and_without_the_scanner(path: Path) -> None:
    for n, row in enumerate(path.read_text().splitlines()):
        r = json.loads(row)
        rec = SourceRecord("shardId-000000000000", n + 1, 0, r.get("PartitionKey", ""), base64.b64decode(r["Data"]), 0)
        d = decode_record(rec)
        assert read_lines(rec, d, native=True) == read_lines(rec, d, native=False)


#: Attribute values: what real labels look like (ASCII, some non-ASCII), never needing a JSON escape.
label_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x24F, blacklist_characters='"\\'), max_size=12
)
attribute_keys = st.sampled_from(
    [*GROUPABLE_ATTRIBUTES, "user.email", "user.id", "session.id", "terminal.type", "OTelLib", "start_type", "Name"]
)
metric_values = st.integers(0, 10**9) | st.floats(0, 1e9, allow_nan=False) | st.just(0)


@st.composite
def ordinary_lines(draw: st.DrawFn) -> str:
    """awsemf-shaped lines the scanner should accept (mutations below make them unusual)."""
    metrics = draw(st.lists(st.sampled_from(FAST_METRICS), min_size=1, max_size=3, unique=True))
    entries = [
        {"Name": m, "Unit": draw(st.sampled_from(["", "tokens", None])), "StorageResolution": 60} for m in metrics
    ]
    split = draw(st.integers(0, len(entries)))  # now and then two directives
    directives = [{"Namespace": "ClaudeCode", "Dimensions": [["model"]], "Metrics": entries[:split]}]
    if split < len(entries):
        directives.append({"Metrics": entries[split:], "Dimensions": []})
    doc: dict[str, object] = {
        "_aws": {"CloudWatchMetrics": directives, "Timestamp": draw(st.integers(1_735_689_600_000, 4_102_444_799_999))},
        "Version": "1",
    }
    for key in draw(st.lists(attribute_keys, max_size=8, unique=True)):
        doc[key] = draw(label_text)
    for m in metrics:
        doc[m] = draw(metric_values)
    items = sorted(doc.items()) if draw(st.booleans()) else draw(st.permutations(list(doc.items())))
    return (
        "{"
        + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{json.dumps(v, ensure_ascii=False)}" for k, v in items)
        + "}"
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(ordinary_lines(), min_size=1, max_size=20))
def test_ordinary_lines_are_all_read_natively_and_exactly(lines: list[str]) -> None:
    got = native.read_native(lines)
    assert got is not None
    for i, (line, scanned) in enumerate(zip(lines, got, strict=True)):
        if '"start_type":"agents_view' in line:
            assert scanned is None
            continue
        assert scanned is not None, line  # accepted: the properties below are not vacuous
        assert scanned.index == i
        assert as_tuple(scanned) == reference(line), line


@settings(max_examples=400, deadline=None)
@given(emf_lines())
def test_whatever_the_scanner_accepts_of_unusual_lines_matches_the_generic_parser(line: str) -> None:
    check(line)


def _insert(line: str, at: int, text: str) -> str:
    """`text` inserted at a token boundary (after a number, at a bracket, quote, colon or comma) for even `at`,
    anywhere for odd `at`: most scanner mistakes sit at boundaries, which uniform positions rarely hit."""
    if at % 2 == 0:
        edges = [i for i in range(1, len(line)) if line[i] in ':,{}[]"' or (line[i - 1].isdigit() > line[i].isdigit())]
        if edges:
            at = edges[(at // 2) % len(edges)]
            return line[:at] + text + line[at:]
    at = at % (len(line) + 1)
    return line[:at] + text + line[at:]


mutations = st.sampled_from(
    [
        " ",
        "\n",
        "\t",
        "\r",
        "\\",
        '"',
        ",",
        ":",
        "{",
        "}",
        "[",
        "]",
        "\x00",
        "\x1f",
        "é",
        "\ud800",
        "0",
        "-",
        ".",
        "e",
        "E+",
        "true",
        "null",
        "NaN",
        "Infinity",
        '"x":1,',
        '"x":"y",',
        '"_aws":{},',
        '"Version":[1,{"a":null}],',
        '"model":"m",',
        '"start_type":"agents_view",',
        '"claude_code.commit.count":1,',
        '"claude_code.token.usage":2,',
    ]
)


@settings(max_examples=1200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ordinary_lines(), st.lists(st.tuples(st.integers(0, 10**6), mutations), min_size=1, max_size=2))
def test_mutated_lines_are_refused_or_read_exactly(line: str, edits: list[tuple[int, str]]) -> None:
    for at, text in edits:
        line = _insert(line, at, text)
    check(line)


@settings(max_examples=400, deadline=None)
@given(ordinary_lines(), st.integers(0, 10**6), st.integers(0, 3))
def test_cut_or_repeated_lines_are_refused_or_read_exactly(line: str, at: int, how: int) -> None:
    cut = at % (len(line) + 1)
    variants = [line[:cut], line[cut:], line + line, line[:cut] + line]
    check(variants[how])


number_tokens = st.from_regex(r"-?[0-9]{0,3}(\.[0-9]{0,2})?([eE][+-]?[0-9]{0,2})?", fullmatch=True)
json_tokens = st.recursive(
    number_tokens
    | st.sampled_from(["null", "nul", "nulll", "true", "tru", "false", "fals", '""', '"a"', '"a', "", "x"]),
    lambda inner: (
        st.lists(inner, max_size=3).map(lambda xs: "[" + ",".join(xs) + "]")
        | st.lists(st.tuples(st.sampled_from(['"k"', '"k":', "k", '""']), inner), max_size=3).map(
            lambda kv: "{" + ",".join(f"{k}:{v}" for k, v in kv) + "}"
        )
    ),
    max_leaves=6,
)


@settings(max_examples=500, deadline=None)
@given(ordinary_lines(), number_tokens, json_tokens)
def test_number_and_value_grammar_is_json_exactly(line: str, number: str, value: str) -> None:
    """A metric value replaced by a number-like token, and `Version` (any JSON value) by a JSON-like fragment."""
    doc = json.loads(line)
    metric = next(k for k in doc if k.startswith("claude_code."))
    head, _, tail = line.partition(f'"{metric}":{json.dumps(doc[metric])}')
    check(f'{head}"{metric}":{number}{tail}')
    head, _, tail = line.partition('"Version":"1"')
    check(f'{head}"Version":{value}{tail}')


INVALID_JSON = ["nul", "nulll", "tru", "fals", "1.", "01", "-", "+1", ".5", "1e", "1e+", "--1", "0x1", "[1,]", "[,1]",
    "[1 2]", '{"a"}', '{"a":}', "{,}", '{"a":1,}', '{a:1}', '"a', "[", "]", "{", "}", "NaN", "Infinity", "", "1 2",
    "'a'"]  # fmt: skip
VALID_JSON = ["null", "true", "false", "[]", "{}", "[1,[2,{}]]", '{"a":{"b":[null]}}', "-0.5e-3", "0", "1E5", '"a"',
    " [ 1 , 2 ] ", '{ "a" : 1 }', "[\n1\t]"]  # fmt: skip


@pytest.mark.parametrize("fragment", INVALID_JSON)
def test_invalid_json_anywhere_is_refused(fragment: str) -> None:
    line = json.dumps(_ordinary(), separators=(",", ":")).replace('"Version":"1"', f'"Version":{fragment}')
    assert reference(line) is None  # the generic parser refuses the whole line
    assert check(line) is None


def test_escapes_are_left_to_the_python_readers() -> None:
    line = json.dumps(_ordinary(), separators=(",", ":")).replace('"Version":"1"', '"Version":"\\u0041"')
    assert reference(line) is not None and read_fast(0, line) is None and check(line) is None


@pytest.mark.parametrize("fragment", VALID_JSON)
def test_valid_json_in_a_skipped_value_is_accepted(fragment: str) -> None:
    line = json.dumps(_ordinary(), separators=(",", ":")).replace('"Version":"1"', f'"Version":{fragment}')
    assert check(line) is not None


def _ordinary(**extra: object) -> dict[str, object]:
    doc: dict[str, object] = {
        "OTelLib": "com.anthropic.claude_code",
        "Version": "1",
        "_aws": {
            "CloudWatchMetrics": [
                {
                    "Namespace": "ClaudeCode",
                    "Dimensions": [["model"], ["model", "type"]],
                    "Metrics": [{"Name": "claude_code.token.usage", "Unit": "tokens", "StorageResolution": 60}],
                }
            ],
            "Timestamp": 1_796_319_131_330,
        },
        "claude_code.token.usage": 5682,
        "model": "claude-sonnet-4-5",
        "session.id": "s-1",
        "type": "input",
        "user.email": "a@example.com",
        "user.id": "u" * 64,
    }
    doc.update(extra)
    return doc


@pytest.mark.parametrize(
    ("name", "doc", "accepted"),
    [
        ("ordinary", _ordinary(), True),
        ("non-ascii attribute", _ordinary(**{"user.name": "José Ñúñez", "team.id": "équipe"}), True),
        ("empty user.email falls back to user.id", _ordinary(**{"user.email": ""}), True),
        ("numeric attribute", _ordinary(department=7), False),
        ("bool attribute", _ordinary(department=True), False),
        ("nested attribute", _ordinary(department={"a": 1}), False),
        ("agents_view", _ordinary(start_type="agents_view"), False),
        ("float timestamp", _ordinary(_aws={"Timestamp": 1.7e12, "CloudWatchMetrics": []}), False),
        ("negative value", _ordinary(**{"claude_code.token.usage": -1}), False),
        ("huge value", _ordinary(**{"claude_code.token.usage": 1e16}), False),
        ("value as text", _ordinary(**{"claude_code.token.usage": "5"}), False),
        ("undeclared catalogue metric", _ordinary(**{"claude_code.commit.count": 1}), False),
        ("unknown metric", _ordinary(**{"claude_code.new.metric": 1}), False),
    ],
)
def test_chosen_lines(name: str, doc: dict[str, object], accepted: bool) -> None:
    line = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    got = check(line)
    assert (got is not None) == accepted, name


def test_limits_are_honoured() -> None:
    line = json.dumps(_ordinary(), separators=(",", ":"))
    assert check(line) is not None
    assert check(line, LineLimits(max_line_bytes=len(line) - 1)) is None
    assert check(line, LineLimits(max_value_chars=63)) is None  # user.id has 64 characters: the generic path cuts
    assert check(line, LineLimits(max_labels=5)) is None
    assert check(line, LineLimits(max_timestamp_ms=1_796_319_131_330)) is None
    nested: object = 1
    for _ in range(40):
        nested = [nested]
    deep = json.dumps(_ordinary(Version=nested))
    assert check(deep) is None  # deeper than the scanner goes: the Python readers decide
    shallow = json.dumps(_ordinary(Version=[[[[1]]]]))
    assert check(shallow) is not None


def test_a_record_mixing_lines_keeps_their_order_and_letters() -> None:
    good = json.dumps(_ordinary(), separators=(",", ":"))
    agents = json.dumps(_ordinary(start_type="agents_view"), separators=(",", ":"))
    negative = json.dumps(_ordinary(**{"claude_code.token.usage": -1}), separators=(",", ":"))
    events = [
        {"id": str(i), "timestamp": 1_796_319_131_330, "message": m}
        for i, m in enumerate([good, agents, "not json", negative, good])
    ]
    envelope = {
        "messageType": "DATA_MESSAGE",
        "owner": "1",
        "logGroup": "g",
        "logStream": "s",
        "subscriptionFilters": ["f"],
        "logEvents": events,
    }
    import gzip

    rec = SourceRecord("shardId-000000000000", 1, 0, "k", gzip.compress(json.dumps(envelope).encode()), 0)
    d = decode_record(rec)
    with_scanner = read_lines(rec, d, native=True)
    assert with_scanner == read_lines(rec, d, native=False)
    lines, letters = with_scanner
    assert [line.index for line in lines] == [0, 1, 4]
    assert lines[1].session is None  # agents_view: not a session
    assert sorted(dl.reason for dl in letters) == ["bad_json", "negative_value"]
