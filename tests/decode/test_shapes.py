"""Every line shape awsemf writes (real-telemetry.md §4), decoded to the values an independent reading expects.

Expected values are written by hand from the line text, never computed by the decoder."""

from __future__ import annotations

import json

import pytest

from consumers.decode.lines import read_fast, read_generic
from schemas.emf import EmfError, parse_line

T = 1_795_219_200_000  # 2026-11-21T00:00:00Z
COMMON = {
    "OTelLib": "com.anthropic.claude_code",
    "anthropic.custom_base_url": "true",
    "anthropic.provider": "firstParty",
    "model": "claude-opus-5-5",
    "query_source": "main",
    "service.name": "claude-code",
    "session.id": "6c1f2f1e-3a4b-4c5d-8e9f-0a1b2c3d4e5f",
    "type": "input",
    "user.id": "a" * 64,
}


def awsemf(doc: dict[str, object]) -> str:
    """Keys sorted by byte value, compact, `<>&` escaped: how Go's encoding/json writes awsemf's map."""
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def v1(values: dict[str, object], ts: object = T, **extra: object) -> str:
    metrics = [{"Name": n, "Unit": "" if n.endswith("count") else "tokens", "StorageResolution": 60} for n in values]
    aws = {"CloudWatchMetrics": [{"Dimensions": [["OTelLib"]], "Metrics": metrics, "Namespace": "ClaudeCode"}]}
    aws["Timestamp"] = ts
    return awsemf({**COMMON, **extra, "Version": "1", "_aws": aws, **values})


def test_v1_sorted_keys_with_storage_resolution_and_empty_unit() -> None:
    line = v1({"claude_code.token.usage": 1523, "claude_code.commit.count": 1})
    assert line.index('"claude_code.commit.count"') < line.index('"model"')  # values among attributes
    points, rejected = parse_line(line)
    assert not rejected
    assert sorted((p.metric, p.value, p.unit) for p in points) == [
        ("claude_code.commit.count", 1.0, ""),
        ("claude_code.token.usage", 1523.0, "tokens"),
    ]
    fast = read_fast(0, line)
    assert fast is not None and fast.timestamp_ms == T and fast.user == "a" * 64
    generic = read_generic(0, line)[0]
    assert generic is not None and sorted(generic.values) == sorted(fast.values) and generic.signature == fast.signature


def test_line_without_aws_is_timed_by_the_log_event() -> None:
    line = awsemf({**COMMON, "claude_code.token.usage": 42, "claude_code.cost.usage": 0.25})
    with pytest.raises(EmfError) as exc:
        parse_line(line)
    assert exc.value.reason == "no_timestamp"
    points, rejected = parse_line(line, T + 5)
    assert not rejected
    assert sorted((p.metric, p.value, p.timestamp_ms) for p in points) == [
        ("claude_code.cost.usage", 0.25, T + 5),
        ("claude_code.token.usage", 42.0, T + 5),
    ]
    assert points[0].attributes["anthropic.custom_base_url"] == "true"
    assert read_fast(0, line) is None  # no _aws: the generic path
    line_, _ = read_generic(0, line, T + 5)
    assert line_ is not None and line_.timestamp_ms == T + 5


def test_version_0_line_has_top_level_string_timestamp() -> None:
    doc = {
        **COMMON,
        "CloudWatchMetrics": [{"Dimensions": [["OTelLib"]], "Metrics": [{"Name": "claude_code.commit.count"}]}],
        "Timestamp": str(T + 7),
        "Version": "0",
        "claude_code.commit.count": 3,
    }
    points, rejected = parse_line(awsemf(doc))
    assert not rejected
    assert [(p.metric, p.value, p.timestamp_ms) for p in points] == [("claude_code.commit.count", 3.0, T + 7)]
    assert "Timestamp" not in points[0].attributes and "CloudWatchMetrics" not in points[0].attributes


def test_escaped_characters_are_decoded() -> None:
    line = v1({"claude_code.token.usage": 5}, department="R<&>D")
    assert "\\u0026" in line
    points, _ = parse_line(line)
    assert points[0].attributes["department"] == "R<&>D"
    got, _ = read_generic(0, line)
    assert got is not None and "R<&>D" in got.signature


def test_histogram_objects_are_counted_not_crashing() -> None:
    line = v1({"claude_code.token.usage": 5}, **{"claude_code.latency": {"Max": 3, "Min": 1, "Count": 2, "Sum": 4}})
    points, rejected = parse_line(line)
    assert [p.metric for p in points] == ["claude_code.token.usage"]
    assert [(r.metric, r.reason) for r in rejected] == [("claude_code.latency", "histogram_value")]


def test_truncated_event_is_a_dead_letter() -> None:
    line = v1({"claude_code.token.usage": 5})[:300] + "[Truncated...]"
    with pytest.raises(EmfError) as exc:
        parse_line(line)
    assert exc.value.reason == "truncated"


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda d: d["_aws"]["CloudWatchMetrics"][0].__setitem__("Metrics", None), "bad_metadata"),
        (lambda d: d["_aws"]["CloudWatchMetrics"][0].__setitem__("Metrics", 7), "bad_metadata"),
        (lambda d: d["_aws"]["CloudWatchMetrics"][0].__setitem__("Metrics", True), "bad_metadata"),
        (lambda d: d["_aws"]["CloudWatchMetrics"][0].__setitem__("Metrics", [None]), "bad_metadata"),
        (lambda d: d["_aws"]["CloudWatchMetrics"][0].__setitem__("Dimensions", "OTelLib"), "bad_metadata"),
        (lambda d: d["_aws"].__setitem__("CloudWatchMetrics", {"a": 1}), "bad_metadata"),
        (lambda d: d.__setitem__("_aws", [1]), "bad_metadata"),
        (lambda d: d["_aws"].__setitem__("Timestamp", str(T)), "no_timestamp"),
        (lambda d: d["_aws"].__setitem__("Timestamp", 1e25), "timestamp_out_of_range"),
        (lambda d: d["_aws"].__setitem__("Timestamp", 10**30), "timestamp_out_of_range"),
        (lambda d: d["_aws"].__setitem__("Timestamp", 1), "timestamp_out_of_range"),
        (lambda d: d["_aws"].__setitem__("Timestamp", True), "no_timestamp"),
    ],
)
def test_wrong_types_in_metadata_are_dead_letters_with_a_reason(mutate: object, reason: str) -> None:
    doc = json.loads(v1({"claude_code.token.usage": 5}))
    mutate(doc)  # type: ignore[operator]
    line = json.dumps(doc)
    with pytest.raises(EmfError) as exc:
        parse_line(line)
    assert exc.value.reason == reason
    assert read_fast(0, line) is None


def test_float_timestamp_and_nan_value() -> None:
    assert parse_line(v1({"claude_code.token.usage": 5}, ts=T + 0.75))[0][0].timestamp_ms == T
    with pytest.raises(EmfError) as exc:
        parse_line(v1({"claude_code.token.usage": 5}).replace(":5", ":NaN"))
    assert exc.value.reason == "bad_json"


def test_a_stray_json_object_is_not_a_metric() -> None:
    for text in ('{"a": 1}', '{"level": "info", "took_ms": 12}'):
        with pytest.raises(EmfError) as exc:
            parse_line(text, T)
        assert exc.value.reason == "not_emf"
    points, _ = parse_line('{"OTelLib": "com.anthropic.claude_code", "x.count": 2}', T)  # awsemf output: kept
    assert [(p.metric, p.value) for p in points] == [("x.count", 2.0)]
