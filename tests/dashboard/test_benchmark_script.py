"""`benchmarks/dashboard_latency.py` runs end to end on a tiny input. Nothing here looks at how long anything took."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import dashboard_latency
from consumers.dashboard.widgets.catalogue import WIDGETS


def test_prints_a_line_per_widget_and_the_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--users", "8", "--minutes", "90", "--repeat", "1", "--range", "1h", "--reader", "memory"]
    assert dashboard_latency.main([*args, "--cache-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    table = [line.split() for line in out.splitlines() if line.split() and line.split()[0] in {w.id for w in WIDGETS}]
    assert [row[0] for row in table] == [w.id for w in WIDGETS]
    # p50, p95, CPU p50, CPU p95, engine CPU p95, reads; then "> target" when a widget missed 100 ms
    assert all(len(row) in (7, 9) and all(v.isdigit() for v in row[1:7]) for row in table)
    assert "whole page (HTTP)" in out and "machine:" in out and "command:" in out
    assert list(tmp_path.glob("dashboard-rows-8u-90m-*.pickle"))  # the generated rows are cached for reruns
