"""The local server's routes, its errors, the CLI commands, and the CloudWatch dashboard body."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from html import unescape

import pytest
from typer.testing import CliRunner

from consumers.cli.app import app
from consumers.dashboard.config import DashboardConfig, Limit
from consumers.dashboard.layout import dashboard_body, template_body
from consumers.dashboard.server import DashboardServer, parse_request, resolve_range
from consumers.dashboard.widgets.catalogue import ALL_WIDGETS, WIDGETS
from consumers.errors import ConfigError
from tests.dashboard.conftest import LoadedFixture

NOW_MS = 1_796_436_000_000  # 2026-12-05T02:00:00Z


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=60) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_requests_resolve_to_snapped_ranges() -> None:
    req = parse_request({"range": ["3h"], "refresh": ["60"]})
    assert (req.preset, req.refresh_s) == ("3h", 60)
    rng = resolve_range(req, NOW_MS)
    assert (rng.from_ms, rng.to_ms, rng.grain) == (NOW_MS - 3 * 3_600_000, NOW_MS, "1h")
    absolute = resolve_range(parse_request({"from": ["2026-12-04T22:10:00Z"], "to": ["2026-12-04T23:00:00Z"]}), NOW_MS)
    assert (absolute.from_ms, absolute.to_ms, absolute.grain) == (NOW_MS - 230 * 60_000, NOW_MS - 3 * 3_600_000, "1m")
    assert parse_request({}).preset == "3h"
    with pytest.raises(ConfigError, match="ISO times"):
        resolve_range(parse_request({"from": ["yesterday"]}), NOW_MS)
    with pytest.raises(ConfigError, match="number of seconds"):
        parse_request({"refresh": ["soon"]})


@pytest.mark.emulator
def test_routes_refresh_and_errors(midnight: LoadedFixture) -> None:
    config = DashboardConfig(teams={"checkout-web": Limit(monthly_cost_usd=10.0)})
    with DashboardServer(
        midnight.target, midnight.names, port=0, config=config, clock_ms=lambda: NOW_MS, budget_check_interval_s=0
    ) as server:
        status, page = get(f"{server.url}/?range=1d&refresh=30")
        assert status == 200
        assert '<meta http-equiv="refresh" content="30">' in page
        assert page.count("data-widget=") == 25 and 'data-widget-count="25"' in page  # 20 + 5 event widgets
        assert '<option value="1d" selected>' in page
        status, widget = get(f"{server.url}/widget/total_tokens?from=2026-12-04T22:00:00Z&to=2026-12-05T02:00:00Z")
        values = json.loads(unescape(re.search(r'data-values="([^"]*)"', widget).group(1)))
        assert status == 200 and widget.startswith("<style>")
        total = sum(p.value for p in midnight.points if p.metric == "claude_code.token.usage")
        assert values["total"] == round(total)
        assert get(f"{server.url}/healthz") == (200, "ok")
        assert get(f"{server.url}/nothing")[0] == 404
        status, text = get(f"{server.url}/widget/nope")
        assert status == 404 and "unknown widget 'nope'" in text
        status, page = get(f"{server.url}/?range=5x")
        assert status == 400 and "unknown range" in page
        status, page = get(f"{server.url}/?from=2026-12-05T00:00:00Z&to=2026-12-04T00:00:00Z")
        assert status == 400 and "'to' must be after 'from'" in unescape(page)


@pytest.mark.emulator
def test_taken_port_is_a_clear_error(midnight: LoadedFixture) -> None:
    with DashboardServer(
        midnight.target, midnight.names, port=0, config=DashboardConfig(), budget_check_interval_s=0
    ) as first:
        second = DashboardServer(midnight.target, midnight.names, port=first.port, config=DashboardConfig())
        with pytest.raises(ConfigError, match="choose another with --port"):
            second.start()


@pytest.mark.emulator
def test_budgets_command_reports_and_alerts(midnight: LoadedFixture, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    budgets = tmp_path / "budgets.yaml"
    budgets.write_text("teams:\n  infra-core: {monthly_cost_usd: 0.5}\n")  # a team no other test budgets
    monkeypatch.setenv("CCSTREAM_TABLE", midnight.names.table)
    monkeypatch.delenv("CCSTREAM_ALERT_TOPIC_ARN", raising=False)
    args = ["budgets", "--budgets", str(budgets), "--json", "--endpoint-url", midnight.target.endpoint_url or ""]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    # The command checks the current month (the fixture is in December 2026), whose spend the test cannot know,
    # so it checks the shape and that a second run never repeats an alert.
    assert [b["name"] for b in report["budgets"]] == ["infra-core"]
    again = json.loads(CliRunner().invoke(app, args).output.strip().splitlines()[-1])
    assert again["alerts_sent"] == []


def test_cli_help_and_missing_budgets(tmp_path) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    assert "--port" in runner.invoke(app, ["dashboard", "--help"]).output
    result = runner.invoke(app, ["budgets", "--budgets", str(tmp_path / "none.yaml")])
    assert result.exit_code != 0
    assert "not found" in str(result.exception)


def test_cloudwatch_body_has_the_twenty_widgets() -> None:
    body = dashboard_body("arn:aws:lambda:eu-west-1:111122223333:function:w", "eu-west-1")
    widgets = body["widgets"]
    assert len(widgets) == len(ALL_WIDGETS) == len(WIDGETS) + 5 == 25  # the twenty, then the five event widgets
    custom = [w for w in widgets if w["type"] == "custom"]
    assert [w["properties"]["params"]["widget"] for w in custom] == [s.id for s in ALL_WIDGETS if s.is_custom]
    assert {w["properties"]["endpoint"] for w in custom} == {"arn:aws:lambda:eu-west-1:111122223333:function:w"}
    assert all(w["properties"]["updateOn"]["timeRange"] for w in custom)
    native = [w for w in widgets if w["type"] == "metric"]
    namespaces = {json.dumps(w["properties"]["metrics"]).split('"')[1] for w in native if "SEARCH" not in json.dumps(w)}
    assert namespaces == {"ClaudeCode"}
    assert sum("AWS/Bedrock" in json.dumps(w) for w in native) == 2
    cells = set()
    for w in widgets:  # no two widgets overlap on the 24-column grid
        for x in range(w["x"], w["x"] + w["width"]):
            for y in range(w["y"], w["y"] + w["height"]):
                assert (x, y) not in cells
                cells.add((x, y))
        assert w["x"] + w["width"] <= 24


def test_template_body_is_json_once_substituted() -> None:
    text = template_body()
    for name in ("WidgetFunctionArn", "AWS::Region", "StreamName", "DeliveryStreamName"):
        assert "${" + name + "}" in text
        text = text.replace("${" + name + "}", "x")
    body = json.loads(text)
    assert len(body["widgets"]) == 28  # the twenty, the five event widgets, then three pipeline-health widgets
