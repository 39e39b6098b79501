"""The simulator's OTLP requests: shaped as the real CLI sends them (real-telemetry.md §2), and carrying exactly
the activity the EMF writer writes for the same seed (both read back with plain json here)."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict

import pytest

from consumers.generate.otlp import requests_of
from consumers.generate.simulator import simulate, simulate_exports

START_MS = 1_795_442_400_000  # 2026-11-23T14:00Z, a Monday afternoon in Europe
MINUTES = 12
USERS = 60
SEED = 11

EIGHT = {
    "claude_code.session.count": "",
    "claude_code.lines_of_code.count": "",
    "claude_code.pull_request.count": "",
    "claude_code.commit.count": "",
    "claude_code.cost.usage": "USD",
    "claude_code.token.usage": "tokens",
    "claude_code.code_edit_tool.decision": "",
    "claude_code.active_time.total": "s",
}
OAUTH = {"user.email", "organization.id", "user.account_uuid", "user.account_id"}
COMMON = {"user.id", "session.id", "anthropic.provider", "anthropic.custom_base_url", "terminal.type"}


def _attrs(kvs: list[dict]) -> dict[str, object]:
    out: dict[str, object] = {}
    for kv in kvs:
        ((kind, value),) = kv["value"].items()
        assert kind in ("stringValue", "boolValue"), kv
        out[kv["key"]] = value
    return out


@pytest.fixture(scope="module")
def requests() -> list[dict]:
    exports = [e for batch in simulate_exports(USERS, MINUTES, START_MS, SEED) for e in batch]
    return [json.loads(body) for body in requests_of(exports)]


def _points(requests: list[dict]) -> list[tuple[dict, dict, dict, dict]]:
    """(request resource attrs, metric, point, point attrs) for every point."""
    out = []
    for req in requests:
        for rm in req["resourceMetrics"]:
            resource = _attrs(rm["resource"]["attributes"])
            for sm in rm["scopeMetrics"]:
                for metric in sm["metrics"]:
                    for dp in metric["sum"]["dataPoints"]:
                        out.append((resource, metric, dp, _attrs(dp["attributes"])))
    return out


def test_every_request_is_one_cli_process_one_scope_delta_sums(requests: list[dict]) -> None:
    assert len(requests) > 100
    for req in requests:
        assert len(req["resourceMetrics"]) == 1
        (sm,) = req["resourceMetrics"][0]["scopeMetrics"]
        assert sm["scope"]["name"] == "com.anthropic.claude_code"
        sessions = set()
        times = set()
        for metric in sm["metrics"]:
            assert metric["unit"] == EIGHT[metric["name"]]
            assert metric["sum"]["aggregationTemporality"] == 1
            assert metric["sum"]["isMonotonic"] is True
            assert metric["sum"]["dataPoints"]
            for dp in metric["sum"]["dataPoints"]:
                assert isinstance(dp["asDouble"], float) and dp["asDouble"] >= 0
                assert "asInt" not in dp
                end, start = int(dp["timeUnixNano"]), int(dp["startTimeUnixNano"])
                assert end - start == 60_000_000_000 and end % 1_000_000 == 0
                times.add(end)
                sessions.add(_attrs(dp["attributes"])["session.id"])
        assert len(sessions) == 1 and len(times) == 1


def test_resource_has_custom_keys_first_then_the_sdk_keys(requests: list[dict]) -> None:
    for req in requests:
        keys = [kv["key"] for kv in req["resourceMetrics"][0]["resource"]["attributes"]]
        assert keys[-5:] == ["service.name", "service.version", "os.type", "os.version", "host.arch"]
        assert {"department", "team.id", "cost_center"} <= set(keys[:-5])
        assert not set(keys) & (OAUTH | COMMON)
        res = _attrs(req["resourceMetrics"][0]["resource"]["attributes"])
        assert res["service.name"] == "claude-code"
        assert req["resourceMetrics"][0]["scopeMetrics"][0]["scope"]["version"] == res["service.version"]


def test_points_carry_the_common_attributes_and_oauth_only_with_email(requests: list[dict]) -> None:
    kinds: Counter[str] = Counter()
    device_of_email: dict[str, set[str]] = defaultdict(set)
    for resource, _metric, _dp, attrs in _points(requests):
        custom = {k: v for k, v in resource.items() if not k.startswith(("service.", "os.", "host."))}
        assert custom.items() <= attrs.items()
        assert attrs.keys() >= COMMON
        assert re.fullmatch(r"[0-9a-f]{64}", str(attrs["user.id"]))
        assert re.fullmatch(
            r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", str(attrs["session.id"])
        )
        assert isinstance(attrs["anthropic.custom_base_url"], bool)
        assert attrs["anthropic.provider"] == "firstParty"
        if "user.email" in attrs:
            assert attrs.keys() >= OAUTH
            kinds["oauth"] += 1
            device_of_email[str(attrs["user.email"])].add(str(attrs["user.id"]))
        else:
            assert not OAUTH & attrs.keys()
            assert attrs["anthropic.custom_base_url"] is True
            kinds["api_key"] += 1
    assert kinds["oauth"] > 0 and kinds["api_key"] > 0
    assert all(len(devices) == 1 for devices in device_of_email.values())


def test_metric_attributes_as_the_cli_sets_them(requests: list[dict]) -> None:
    seen: dict[str, set[str]] = defaultdict(set)
    for _res, metric, _dp, attrs in _points(requests):
        name = metric["name"]
        if name == "claude_code.token.usage":
            assert attrs["type"] in ("input", "output", "cacheRead", "cacheCreation")
            assert attrs["query_source"] in ("main", "auxiliary") and "model" in attrs
        if name == "claude_code.cost.usage":
            assert attrs["query_source"] in ("main", "auxiliary") and "model" in attrs
        if name == "claude_code.code_edit_tool.decision":
            assert {"decision", "source", "tool_name", "language"} <= attrs.keys()
        if name in ("claude_code.commit.count", "claude_code.pull_request.count"):
            assert not {"model", "type", "decision"} & attrs.keys()
        seen[name].add(str(attrs.get("query_source", "")))
    assert set(seen) == set(EIGHT)
    assert seen["claude_code.token.usage"] == {"main", "auxiliary"}


def test_same_activity_as_the_emf_writer_exactly(requests: list[dict]) -> None:
    """Every (minute, session, metric, metric attrs) total from OTLP equals the one from the EMF lines."""
    from_otlp: Counter[tuple] = Counter()
    for _res, metric, dp, attrs in _points(requests):
        own = tuple(
            sorted(
                (k, v)
                for k, v in attrs.items()
                if k in ("model", "type", "decision", "source", "tool_name", "language", "start_type")
            )
        )
        from_otlp[(int(dp["timeUnixNano"]) // 1_000_000, attrs["session.id"], metric["name"], own)] += dp["asDouble"]
    from_emf: Counter[tuple] = Counter()
    for line in simulate(USERS, MINUTES, START_MS, SEED):
        doc = json.loads(line.line)
        own = tuple(
            sorted(
                (k, v)
                for k, v in doc.items()
                if k in ("model", "type", "decision", "source", "tool_name", "language", "start_type")
            )
        )
        for key, value in doc.items():
            if key.startswith("claude_code."):
                from_emf[(doc["_aws"]["Timestamp"], doc["session.id"], key, own)] += value
    assert from_otlp.keys() == from_emf.keys()
    for key, value in from_emf.items():
        assert from_otlp[key] == pytest.approx(value, rel=1e-12), key
