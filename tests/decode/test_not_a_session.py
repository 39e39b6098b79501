"""`start_type=agents_view` is the `claude agents` UI, not a session: its values count, its session id does not."""

from __future__ import annotations

from consumers.decode.lines import read_fast, read_generic

TS = 1_796_319_768_000


def _line(start_type: str) -> str:
    # The shape awsemf writes (keys sorted, values among the attributes), as in tests/fixtures/realcli.
    return (
        '{"OTelLib":"com.anthropic.claude_code","Version":"1","_aws":{"CloudWatchMetrics":[{"Namespace":"ClaudeCode",'
        '"Dimensions":[["department"]],"Metrics":[{"Name":"claude_code.session.count","Unit":"",'
        f'"StorageResolution":60}}]}}],"Timestamp":{TS}}},"claude_code.session.count":1,"department":"eng",'
        f'"session.id":"s-1","start_type":"{start_type}","user.id":"u-1"}}'
    )


def test_a_fresh_start_is_a_session_on_the_fast_path() -> None:
    line = read_fast(0, _line("fresh"))
    assert line is not None
    assert line.session == "s-1" and line.values == [("claude_code.session.count", 1.0)]


def test_agents_view_keeps_its_value_but_is_not_a_session() -> None:
    assert read_fast(0, _line("agents_view")) is None  # left to the generic path
    line, rejected = read_generic(0, _line("agents_view"))
    assert rejected == [] and line is not None
    assert line.session is None
    assert line.values == [("claude_code.session.count", 1.0)] and line.user == "u-1"
