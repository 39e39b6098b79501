"""Timestamp rules of CloudWatch Logs and the --shift-to-now rewrite."""

from __future__ import annotations

import json

from consumers.replay.timing import AcceptedRange, TimeScan, out_of_range_message, shift_emf_timestamp, shift_for

NOW = 1_795_442_400_000  # 2026-11-23T14:00:00Z
DAY = 86_400_000


def test_accepted_range_uses_14_days_and_2_hours_with_margins() -> None:
    rng = AcceptedRange.at(NOW)
    assert rng.too_old(NOW - 14 * DAY)
    assert not rng.too_old(NOW - 13 * DAY)
    assert rng.too_new(NOW + 2 * 3_600_000)
    assert not rng.too_new(NOW + 3_600_000)


def test_scan_and_message_name_the_problem_and_the_fix() -> None:
    rng = AcceptedRange.at(NOW)
    scan = TimeScan()
    for t in (NOW - 20 * DAY, NOW - 19 * DAY, NOW - DAY, None):
        scan.add(t, rng)
    assert (scan.events, scan.too_old, scan.too_new, scan.without_timestamp) == (4, 2, 0, 1)
    text = out_of_range_message(scan, NOW, "old.emf.ndjson")
    assert "2 are older than 14 days (oldest 2026-11-03T14:00:00Z)" in text
    assert "--shift-to-now" in text
    assert shift_for(scan, NOW) == DAY


def test_shift_rewrites_only_the_aws_timestamp() -> None:
    line = (
        '{"OTelLib":"x","Timestamp":"attr","_aws":{"CloudWatchMetrics":[{"Namespace":"ClaudeCode","Dimensions":'
        '[["OTelLib"]],"Metrics":[{"Name":"claude_code.commit.count","Unit":"Count"}]}],"Timestamp":1795219200000},'
        '"note":"\\"Timestamp\\":5","claude_code.commit.count":1}'
    )
    shifted = shift_emf_timestamp(line, 1_000)
    before, after = json.loads(line), json.loads(shifted)
    assert after["_aws"]["Timestamp"] == 1_795_219_201_000
    after["_aws"]["Timestamp"] = before["_aws"]["Timestamp"]
    assert after == before
    assert len(shifted) == len(line)


def test_lines_without_a_timestamp_are_left_alone() -> None:
    for line in ("not json", '{"_aws":{"CloudWatchMetrics":[]}}', '{"a":1}'):
        assert shift_emf_timestamp(line, 5_000) == line
