"""LogEventWriter against a fake CloudWatch Logs client: stream creation, batching, rejection counting."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.exceptions import ClientError

from consumers.generate import EmfLine
from consumers.replay import ReplayError, put_emf_lines
from consumers.replay.batching import BatchLimits
from consumers.replay.logs import LogEventWriter

NOW = 1_795_442_400_000
DAY = 86_400_000


def _error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, "op")


@dataclass
class FakeLogs:
    existing_streams: set[str] = field(default_factory=set)
    rejected: dict[str, int] = field(default_factory=dict)
    group_exists: bool = True
    created: list[str] = field(default_factory=list)
    puts: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)

    def create_log_stream(self, logGroupName: str, logStreamName: str) -> None:
        if not self.group_exists:
            raise _error("ResourceNotFoundException")
        if logStreamName in self.existing_streams:
            raise _error("ResourceAlreadyExistsException")
        self.existing_streams.add(logStreamName)
        self.created.append(logStreamName)

    def put_log_events(self, logGroupName: str, logStreamName: str, logEvents: list[dict[str, Any]]) -> dict[str, Any]:
        self.puts.append((logStreamName, logEvents))
        return {"rejectedLogEventsInfo": self.rejected} if self.rejected else {}


def test_streams_are_created_once_and_existing_ones_are_fine() -> None:
    client = FakeLogs(existing_streams={"b"})
    writer = LogEventWriter(client, "g", limits=BatchLimits(max_events=2))
    for i in range(5):
        writer.add("a", NOW + i, f"a{i}")
        writer.add("b", NOW + i, f"b{i}")
    writer.flush()
    assert client.created == ["a"]
    assert [(s, len(e)) for s, e in client.puts] == [("a", 2), ("b", 2), ("a", 2), ("b", 2), ("a", 1), ("b", 1)]
    assert writer.stats.events_sent == 10
    assert writer.stats.streams == {"a", "b"}


def test_events_are_sent_sorted_within_a_batch() -> None:
    client = FakeLogs()
    put_emf_lines(client, "g", "s", [EmfLine(t, "ignored", str(t)) for t in (NOW + 3, NOW + 1, NOW + 2)])
    assert [e["timestamp"] for e in client.puts[0][1]] == [NOW + 1, NOW + 2, NOW + 3]
    assert client.puts[0][0] == "s"


HOUR = 3_600_000
OLD_BATCH = (NOW - 14 * DAY - 2 * HOUR, NOW - 14 * DAY - HOUR, NOW - 14 * DAY + HOUR, NOW - 14 * DAY + 2 * HOUR)


def _rejected(info: dict[str, int], stamps: tuple[int, ...]) -> tuple[int, int, int]:
    writer = LogEventWriter(FakeLogs(rejected=info), "g", now_ms=lambda: NOW)
    for ts in stamps:
        writer.add("s", ts, "m")
    writer.flush()
    return writer.stats.rejected_too_old, writer.stats.rejected_too_new, writer.stats.accepted


def test_too_old_end_index_is_exclusive_as_in_aws() -> None:
    assert _rejected({"tooOldLogEventEndIndex": 2}, OLD_BATCH) == (2, 0, 2)


def test_too_old_end_index_pointing_at_an_old_event_is_moto_style_inclusive() -> None:
    assert _rejected({"tooOldLogEventEndIndex": 1}, OLD_BATCH) == (2, 0, 2)


def test_too_new_start_index_is_inclusive() -> None:
    assert _rejected({"tooNewLogEventStartIndex": 2}, (NOW, NOW + HOUR, NOW + 3 * HOUR)) == (0, 1, 2)


def test_missing_group_names_the_fix() -> None:
    with pytest.raises(ReplayError, match=r"log group 'g' does not exist; deploy first"):
        put_emf_lines(FakeLogs(group_exists=False), "g", None, [EmfLine(NOW, "s", "m")])


def test_plain_strings_are_routed_by_session_and_need_a_timestamp() -> None:
    client = FakeLogs()
    line = '{"_aws":{"Timestamp":1795442400000},"session.id":"abc","claude_code.commit.count":1}'
    put_emf_lines(client, "g", None, [line])
    assert client.puts[0][0].startswith("otel-stream-")
    assert client.puts[0][1] == [{"timestamp": 1795442400000, "message": line}]
    with pytest.raises(ReplayError, match=r"no usable _aws\.Timestamp"):
        put_emf_lines(client, "g", None, ['{"no":"timestamp"}'])
