"""`benchmarks.events_bill` end to end on a tiny input: the real collector twice, a tiny workload and activity."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from benchmarks import events_bill
from consumers.cost import load_aws_prices, load_measured, project
from consumers.cost.measured import MEASURED_FILE

SHIPPED = Path(__file__).resolve().parents[2] / "consumers" / "cost" / MEASURED_FILE


def test_events_bill_writes_the_events_section(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "measured.json"
    shutil.copy(SHIPPED, path)
    before = load_measured(path)
    args = ["--users", "200", "--minutes", "1", "--active-users", "30", "--active-minutes", "2"]
    assert events_bill.main([*args, "--write-measured", str(path)]) == 0
    assert "weighted by the mix" in capsys.readouterr().out
    after = load_measured(path)
    assert after.months == before.months and after.per_point == before.per_point  # only the events section changes
    ev = after.events
    assert ev is not None and ev.simulated_users >= 1
    assert ev.line_bytes < ev.untrimmed_line_bytes and ev.kinesis_bytes < ev.untrimmed_kinesis_bytes
    assert all(shipped < untrimmed for shipped, untrimmed in ev.by_event.values())
    assert ev.active_minutes_per_user_month > 0 and 0 < ev.peak_active_share <= 1
    assert ev.write_units_per_1000 >= ev.write_requests_per_1000 > 0
    assert project(200, after, load_aws_prices()).by_component()["Events"] > 0
