"""The five event widgets show the figures an independent computation gives (tests/events/oracle.py)."""

from __future__ import annotations

import json
import math
import re
from html import unescape

from consumers.dashboard.charts import Charts
from consumers.dashboard.config import DashboardConfig
from consumers.dashboard.data import DashboardData
from consumers.dashboard.render import render_widget
from consumers.dashboard.timerange import TimeRange
from consumers.dashboard.widgets.catalogue import BY_ID, EVENT_WIDGETS
from consumers.dashboard.widgets.context import WidgetContext
from consumers.events_pipeline import EventsPipeline
from consumers.query.reader import MemoryRowReader
from consumers.sink.memory import MemoryStores
from tests.events import oracle
from tests.events.generator import SPAN, START, random_records
from tests.events.test_events_pipeline import TUNABLES, source_records

DAY = 86_400_000


def _figures() -> tuple[dict[str, dict], list[dict]]:
    by_shard, events = random_records(21, 120)
    stores = MemoryStores()
    for shard, recs in source_records(by_shard).items():
        pipe = EventsPipeline("events", shard, stores.stores(), TUNABLES)
        pipe.process(recs)
        pipe.flush(force=True)
    lo = START - START % DAY
    rng = TimeRange(lo, lo + DAY, "1h")
    ctx = WidgetContext(DashboardData(MemoryRowReader(stores)), rng, DashboardConfig(), Charts(), lo + DAY)
    out = {}
    for spec in EVENT_WIDGETS:
        html = render_widget(BY_ID[spec.id], ctx).html
        out[spec.id] = json.loads(unescape(re.search(r'data-values="([^"]*)"', html).group(1)))
    assert lo + DAY > START + SPAN
    return out, events


def test_event_widgets_match_the_oracle() -> None:
    got, events = _figures()
    assert not any("error" in v for v in got.values()), got
    p95 = oracle.expected(events, DAY, "api_request", "duration_ms", "p95", ("model",))
    for (_, model), v in p95.items():
        assert math.isclose(got["api_latency"]["models"][model]["p95"], v, rel_tol=0.01)
    errors = oracle.expected(events, DAY, "api_error", None, "count", ("model", "status_code"))
    requests = oracle.expected(events, DAY, "api_request", None, "count", ("model",))
    for (start, model, status), n in errors.items():
        g = got["api_errors"]["groups"][f"{model} {status}"]
        per_model = sum(m for (_, other, _), m in errors.items() if other == model)
        assert g["errors"] == n
        assert math.isclose(g["error_rate"], n / (requests.get((start, model), 0) + per_model), abs_tol=1e-6)
    rates = oracle.expected(events, DAY, "tool_result", None, "success_rate", ("tool_name",))
    for (_, tool), v in rates.items():
        assert math.isclose(got["tool_reliability"]["tools"][tool]["success_rate"], v, abs_tol=1e-6)
    decisions = oracle.expected(events, DAY, "tool_decision", None, "count", ("tool_name", "decision"))
    for (_, tool, decision), n in decisions.items():
        assert got["top_tools"]["tools"][tool][decision] == n
    cost = oracle.expected(events, DAY, "api_request", "cost_usd_micros", "sum", ("agent.name",))
    want = {(a or "main"): v / 1e6 for (_, a), v in cost.items()}
    assert got["subagent_cost_share"]["cost_usd"] == {a: round(v, 6) for a, v in want.items()}
