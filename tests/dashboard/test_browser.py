"""Acceptance: headless Chromium opens the local dashboard over the replayed fixture and every one of the twenty
widgets shows the figures computed independently from the raw telemetry (tests/dashboard/expected.py).
A screenshot is saved as `artifacts/dashboard.png`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from consumers.dashboard.config import DashboardConfig, Limit, ModelQuota
from consumers.dashboard.server import DashboardServer
from tests.dashboard.browser import WidgetScraper, dump_dom, find_or_install_chromium, screenshot
from tests.dashboard.conftest import LoadedFixture
from tests.dashboard.expected import QuotaRule, expected

pytestmark = [pytest.mark.emulator, pytest.mark.timeout(600)]

FROM = "2026-12-04T22:00:00Z"
TO = "2026-12-05T02:00:00Z"
FROM_MS = 1_796_421_600_000
TO_MS = 1_796_436_000_000
NOW_MS = TO_MS  # the dashboard's clock: the fixture's last minute has just ended
ARTIFACT = Path(__file__).resolve().parents[2] / "artifacts" / "dashboard.png"

CONFIG = DashboardConfig(
    teams={"checkout-web": Limit(monthly_cost_usd=10.0), "infra-core": Limit(monthly_cost_usd=1000.0)},
    default_user=Limit(monthly_tokens=5_000_000),
    model_quotas=(ModelQuota("*claude-opus-4-5*", tpm=400_000, output_burndown=5),),
)
QUOTAS = [QuotaRule("*claude-opus-4-5*", 400_000, 5)]
BEDROCK = {  # (metric, model, minutes after FROM, value)
    ("InvocationThrottles", "anthropic.test-opus-x", 10, 4.0),
    ("InvocationThrottles", "anthropic.test-opus-x", 130, 3.0),
    ("InvocationThrottles", "anthropic.test-haiku-x", 61, 2.0),
    ("InvocationClientErrors", "anthropic.test-opus-x", 5, 1.0),
    ("InvocationServerErrors", "anthropic.test-haiku-x", 200, 6.0),
    ("InvocationClientErrors", "anthropic.test-haiku-x", 300, 50.0),  # after the range: must not count
}


@pytest.fixture(scope="module")
def chromium() -> str:
    path, why = find_or_install_chromium()
    if path is None:
        pytest.skip(f"no headless Chromium: {why}")
    return path


def _put_bedrock_metrics(midnight: LoadedFixture) -> None:
    cw = midnight.target.client("cloudwatch")
    for metric, model, minute, value in sorted(BEDROCK):
        cw.put_metric_data(
            Namespace="AWS/Bedrock",
            MetricData=[
                {
                    "MetricName": metric,
                    "Dimensions": [{"Name": "ModelId", "Value": model}],
                    "Timestamp": datetime.fromtimestamp((FROM_MS + minute * 60_000) / 1000, UTC),
                    "Value": value,
                    "Unit": "Count",
                }
            ],
        )


@pytest.fixture(scope="module")
def page(midnight: LoadedFixture, chromium: str) -> WidgetScraper:
    _put_bedrock_metrics(midnight)
    server = DashboardServer(
        midnight.target, midnight.names, port=0, config=CONFIG, clock_ms=lambda: NOW_MS, budget_check_interval_s=0
    )
    with server:
        url = f"{server.url}/?from={FROM}&to={TO}"
        scraper = WidgetScraper()
        scraper.feed(dump_dom(chromium, url))
        screenshot(chromium, url, ARTIFACT)
    return scraper


@pytest.fixture(scope="module")
def want(midnight: LoadedFixture) -> dict:
    return expected(
        midnight.points, FROM_MS, TO_MS, NOW_MS, QUOTAS, {"checkout-web": 10.0, "infra-core": 1000.0}, 5_000_000
    )


def values(page: WidgetScraper, widget: str) -> dict:
    return json.loads(page.widgets[widget]["data-values"])


def test_all_twenty_widgets_render_without_errors(page: WidgetScraper) -> None:
    assert len(page.widgets) == 25  # the twenty and the five event widgets (no events in this fixture: empty)
    errors = {w: values(page, w)["error"] for w in page.widgets if "error" in values(page, w)}
    assert errors == {}
    assert ARTIFACT.is_file() and ARTIFACT.stat().st_size > 50_000


def test_headline_figures(page: WidgetScraper, want: dict) -> None:
    assert values(page, "total_tokens") == {
        "total": want["total_tokens"]["total"],
        **{t: want["total_tokens"][t] for t in ("input", "output", "cacheRead", "cacheCreation")},
    }
    assert page.widgets["total_tokens"]["data-value"] == str(want["total_tokens"]["total"])
    au = values(page, "active_users")
    assert (au["users"], au["sessions"]) == (want["active_users"]["users"], want["active_users"]["sessions"])
    assert page.headlines["active_users"].strip() == str(want["active_users"]["users"])
    assert values(page, "cache_efficiency")["efficiency"] == pytest.approx(
        want["cache_efficiency"]["efficiency"], abs=1e-6
    )
    ah = values(page, "active_hours")
    assert ah["hours"] == pytest.approx(want["active_hours"]["hours"], abs=1e-5)
    assert ah["user"] == pytest.approx(want["active_hours"]["user"], abs=1e-5)
    assert ah["by_hour"] == pytest.approx(want["active_hours"]["by_hour"], abs=1e-5)


def test_over_time_widgets(page: WidgetScraper, want: dict) -> None:
    tot = values(page, "tokens_over_time")
    assert (tot["size"], tot["total"], tot["series"]) == (
        "1m",
        want["tokens_over_time"]["total"],
        want["tokens_over_time"]["series"],
    )
    lines = values(page, "lines_over_time")
    assert {k: lines[k] for k in ("added", "removed", "series")} == want["lines_over_time"]
    assert values(page, "active_users_over_time")["series"] == want["active_users_over_time"]["series"]
    uot = values(page, "users_over_time")
    assert (uot["total"], uot["series"]) == (want["users_over_time"]["total"], want["users_over_time"]["series"])
    cp = values(page, "commits_prs")
    assert (cp["commits"], cp["pull_requests"]) == (
        want["commits_prs"]["commits"],
        want["commits_prs"]["pull_requests"],
    )
    assert cp["pull_requests"] > 0


def test_breakdowns(page: WidgetScraper, want: dict) -> None:
    assert values(page, "tokens_by_model")["models"] == want["tokens_by_model"]["models"]
    assert len(want["tokens_by_model"]["models"]) >= 5  # models come from the data
    assert values(page, "tokens_by_type")["types"] == want["tokens_by_type"]["types"]
    ca = values(page, "code_acceptance")
    assert ca["overall"] == pytest.approx(want["code_acceptance"]["overall"], abs=1e-6)
    assert {k: (v["accepted"], v["rejected"]) for k, v in ca["languages"].items()} == {
        k: (v["accepted"], v["rejected"]) for k, v in want["code_acceptance"]["languages"].items()
    }
    assert values(page, "code_by_language")["languages"] == want["code_by_language"]["languages"]
    assert values(page, "operations_by_tool")["tools"] == want["operations_by_tool"]["tools"]


def test_people_and_cost(page: WidgetScraper, want: dict) -> None:
    top = values(page, "top_users")
    assert [r[:2] for r in top["by_tokens"]] == [r[:2] for r in want["top_users"]["by_tokens"]]
    assert [r[2] for r in top["by_tokens"]] == pytest.approx([r[2] for r in want["top_users"]["by_tokens"]], abs=1e-5)
    assert [r[0] for r in top["by_cost"]] == [r[0] for r in want["top_users"]["by_cost"]]
    assert any("@" not in r[0] for r in top["by_tokens"])  # a user without email appears by user.id
    cost = values(page, "cost_by_team")
    assert cost["total"] == pytest.approx(want["cost_by_team"]["total"], abs=1e-5)
    got = {(d, t): (c, r) for d, t, c, r in cost["teams"]}
    assert got.keys() == want["cost_by_team"]["teams"].keys()
    for key, (c, r) in want["cost_by_team"]["teams"].items():
        assert got[key] == pytest.approx((c, r), abs=1e-5)


def test_model_quota_and_budgets(page: WidgetScraper, want: dict) -> None:
    quota = values(page, "model_quota")
    assert (quota["from"], quota["to"]) == (want["model_quota"]["from"], want["model_quota"]["to"])
    got = {m: {k: v[k] for k in ("peak_tpm", "peak_minute", "quota_tpm")} for m, v in quota["models"].items()}
    assert got == want["model_quota"]["models"]
    budgets = values(page, "budgets")
    assert budgets["month"] == want["budgets"]["month"] == "2026-12"
    got_b = {(b["scope"], b["name"], b["kind"]): b for b in budgets["budgets"]}
    assert got_b.keys() == want["budgets"]["budgets"].keys()
    for key, exp in want["budgets"]["budgets"].items():
        for field in ("spent", "share", "burn_per_day", "projected_month_total"):
            assert got_b[key][field] == pytest.approx(exp[field], rel=1e-6, abs=1e-6), (key, field)
        assert got_b[key]["exhaustion_ms"] == pytest.approx(exp["exhaustion_ms"], abs=1000), key


def test_bedrock_native_widgets_read_cloudwatch(page: WidgetScraper) -> None:
    throttles = values(page, "bedrock_throttles")
    assert throttles["models"] == {"anthropic.test-opus-x": 7, "anthropic.test-haiku-x": 2}
    errors = values(page, "bedrock_errors")
    assert errors["models"] == {"anthropic.test-haiku-x": 6, "anthropic.test-opus-x": 1}
    assert errors["by_metric"] == {"InvocationClientErrors": 1, "InvocationServerErrors": 6}
