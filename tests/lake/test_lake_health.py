"""The lake writer's health metrics: a heartbeat at most once a minute, dead letters per reason, never raising."""

from __future__ import annotations

from typing import Any

from consumers.kcl.health import ApplicationHealth


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.data: list[dict[str, Any]] = []
        self.fail = fail

    def put_metric_data(self, Namespace: str, MetricData: list[dict[str, Any]]) -> None:
        assert Namespace == "ClaudeCode"
        if self.fail:
            raise RuntimeError("CloudWatch down")
        self.data += MetricData


def test_heartbeat_once_a_minute_and_dead_letters_by_reason() -> None:
    rec = Recorder()
    h = ApplicationHealth(rec, "cc-lake-writer")
    for now in (0, 10_000, 59_999, 60_000, 61_000, 130_000):
        h.beat(now)
    assert [d["MetricName"] for d in rec.data] == ["Heartbeat"] * 3  # at 0, 60,000 and 130,000
    h.dead_letters({"bad_json": 2, "Développement": 1})
    letters = [(d["Dimensions"][1]["Value"], d["Value"]) for d in rec.data if d["MetricName"] == "DeadLetters"]
    assert letters[0][0].startswith("Developpement~") and letters[1] == ("bad_json", 2.0)
    assert all(d["Dimensions"][0] == {"Name": "Application", "Value": "cc-lake-writer"} for d in rec.data)


def test_a_failing_cloudwatch_never_raises() -> None:
    h = ApplicationHealth(Recorder(fail=True), "app")
    h.beat(0)
    h.dead_letters({"x": 1})
