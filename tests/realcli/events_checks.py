"""Event checks of the real-CLI run (imported by test_realcli_e2e.py, so they share its one delivery).

Expected values come from tests/events/oracle.py over the OTLP log records the CLI sent (the collector's tap).
"""

from __future__ import annotations

import json
import math
from typing import Any

from typer.testing import CliRunner

from consumers.query.events import query_events
from consumers.query.events_reconcile import cost_reconciliation
from consumers.windows.definitions import iso
from tests.events import oracle
from tests.events.oracle import QUERIES

#: What the collector's attributes/headers processor inserts when a client sends none.
COLLECTOR_DEFAULTS = {"department": "unspecified", "team.id": "default-team", "cost_center": "general"}


def _events(delivered: Any) -> list[dict[str, Any]]:
    return list(oracle.from_otlp(delivered.requests, COLLECTOR_DEFAULTS))


def _range(events: list[dict[str, Any]]) -> tuple[int, int]:
    return min(e["ts"] for e in events) - 86_400_000, max(e["ts"] for e in events) + 86_400_000


def test_event_aggregates_equal_the_otlp_log_records(delivered: Any) -> None:
    assert delivered.consume_code == 0
    events, reader = _events(delivered), delivered.stack.reader
    lo, hi = _range(events)
    for size, ms in oracle.WINDOWS_MS.items():
        for name, field, stat, by in QUERIES:
            metric = f"events.{name}" + (f".{field}" if field else "")
            exp = oracle.expected(events, ms, name, field, stat, by)
            got = {
                (r.window_start_ms, *(r.labels[a] for a in by)): r.value
                for r in query_events(reader, metric, size, by, lo, hi, stat)
            }
            assert got.keys() == exp.keys(), (size, metric, stat, by, sorted(exp.keys() ^ got.keys())[:3])
            tol = 0.01 if stat.startswith("p") else 1e-12
            bad = {k: (got[k], v) for k, v in exp.items() if not math.isclose(got[k], v, rel_tol=tol)}
            assert not bad, (size, metric, stat, by, list(bad.items())[:3])


def _total(delivered: Any, metric: str, by: tuple[str, ...], stat: str | None = None) -> dict[tuple[str, ...], float]:
    lo, hi = _range(_events(delivered))
    rows = query_events(delivered.stack.reader, metric, "1d", by, lo, hi, stat, total=True)
    return {tuple(r.labels[a] for a in by): r.value for r in rows}


def test_event_scenarios_show_what_happened(delivered: Any) -> None:
    """529 until retries ran out: one exhausted retry and one api_error; the 500 that recovered: none; the rejected
    Bash: a decision and no result; the failing command: a failed result; one manual compaction, one subagent."""
    model = "claude-opus-5-5"
    assert _total(delivered, "events.api_retries_exhausted", ("model", "status_code")) == {(model, "529"): 1}
    assert _total(delivered, "events.api_error", ("status_code",)) == {("529",): 1}
    decisions = _total(delivered, "events.tool_decision", ("tool_name", "decision", "permission_mode"))
    assert decisions[("Bash", "reject", "default")] == 1
    accepted = {t: n for (t, d, _), n in decisions.items() if d == "accept"}
    results = _total(delivered, "events.tool_result", ("tool_name",))
    assert results == {(t,): n for t, n in accepted.items()}  # a rejected tool has no result, and is no failure
    rates = _total(delivered, "events.tool_result", ("tool_name",), "success_rate")
    assert rates[("Bash",)] < 1.0 and rates[("Write",)] == 1.0
    assert _total(delivered, "events.compaction", ("trigger", "success")) == {("manual", "true"): 1}
    assert sum(_total(delivered, "events.subagent_completed", ()).values()) == 1
    sources = _total(delivered, "events.api_request.cost_usd_micros", ("query_source",))
    assert {"sdk", "compact", "agent:builtin:general-purpose"} <= {s for (s,) in sources}


def test_events_cost_reconciles_with_the_metrics(delivered: Any) -> None:
    """Per hour: events' cost_usd_micros = the CLI's cost_usd_micros sums = cost.usage (no difference flagged), also
    through `ccstream query events.reconcile --json`."""
    from consumers.cli.app import app

    events = _events(delivered)
    lo, hi = _range(events)
    exp: dict[int, int] = {}
    for e in events:
        if e["name"] == "api_request":
            start = e["ts"] - e["ts"] % 3_600_000
            exp[start] = exp.get(start, 0) + int(e["attrs"]["cost_usd_micros"])
    checks = cost_reconciliation(delivered.stack.reader, "1h", lo, hi)
    assert {c.window_start_ms: round(c.events_usd * 1e6) for c in checks} == exp
    assert all(math.isclose(c.events_usd, c.metrics_usd, rel_tol=1e-9) for c in checks)
    assert not any(c.events_vs_metrics for c in checks)
    names = delivered.stack.names
    env = {"AWS_ENDPOINT_URL": delivered.stack.target.endpoint_url, "AWS_REGION": "us-east-1"}
    env |= {"CCSTREAM_PREFIX": names.prefix, "CCSTREAM_TABLE": names.table, "CCSTREAM_LOG_GROUP": names.log_group}
    args = ["query", "events.reconcile", "--window", "1h", "--from", iso(lo), "--to", iso(hi), "--json"]
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {r["window_start"]: round(r["events_usd"] * 1e6) for r in rows} == {iso(k): v for k, v in exp.items()}
    args = ["query", "events.api_request.duration_ms", "--stat", "p95", "--by", "model", "--window", "1h"]
    result = CliRunner().invoke(app, [*args, "--from", iso(lo), "--to", iso(hi), "--json"], env=env)
    assert result.exit_code == 0, result.output
    got = {(r["window_start"], r["model"]): r["value"] for r in json.loads(result.stdout)}
    want = oracle.expected(events, 3_600_000, "api_request", "duration_ms", "p95", ("model",))
    assert got.keys() == {(iso(s), m) for s, m in want}
    assert all(math.isclose(got[(iso(s), m)], v, rel_tol=0.01) for (s, m), v in want.items())
