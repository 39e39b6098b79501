"""Retention: README, templates and code agree with `consumers/retention.py`, and the writers use it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from consumers.config import Tunables
from consumers.dashboard.alerts import ALERT_TTL_AFTER_MONTH_S
from consumers.deploy.templates import load_template
from consumers.errors import ConfigError
from consumers.model import RowKey
from consumers.retention import RETENTIONS, RetentionSettings, markdown_table, retention
from consumers.rollup import user_day_item
from consumers.shard.rowbook import ttl_s
from consumers.sink.base import ShardSnapshot
from consumers.sink.dynamodb import DynamoStores

ROOT = Path(__file__).resolve().parents[2]
DAY_S = 86_400
WINDOW_START = 1_796_083_200_000  # 2026-12-01T00:00:00Z


def test_readme_table_is_the_generated_one() -> None:
    text = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- retention:begin -->\n(.*?)\n<!-- retention:end -->", text, re.S)
    assert match, "README has no retention table between the markers"
    assert match.group(1) == markdown_table(), "regenerate it: python -m consumers.retention"


def test_no_doc_states_another_retention_for_the_aggregates() -> None:
    """The review found '30 days' in the docs while 1d rows lived 400 days: no doc may give a number of its own."""
    for doc in ("README.md", "schemas/ITEMS.md", "infra/README.md", "ARCHITECTURE.md"):
        text = (ROOT / doc).read_text()
        text = re.sub(r"<!-- retention:begin -->.*?<!-- retention:end -->", "", text, flags=re.S)
        assert not re.search(r"\d+[- ]days? (TTL|on (metric|aggregate) items)|TTL[^.\n]{0,40}\b\d+ days", text), doc


@pytest.mark.parametrize("entry", [r for r in RETENTIONS if r.parameter], ids=lambda r: r.key)
def test_template_parameter_defaults_are_the_documented_values(entry: Any) -> None:
    file, name = entry.parameter.split(":")
    template = load_template(file)
    param = template.parameters[name]
    assert int(param["Default"]) == entry.value
    if "AllowedValues" in param:
        assert entry.value in [int(v) for v in param["AllowedValues"]]
    if "MinValue" in param:
        assert int(param["MinValue"]) == entry.minimum
    assert {"Ref": name} in list(_values(template.resources)), f"{file}: {name} is declared but never used"


@pytest.mark.parametrize("entry", [r for r in RETENTIONS if r.env], ids=lambda r: r.key)
def test_the_consumer_task_passes_each_parameter_to_its_variable(entry: Any) -> None:
    file, name = entry.parameter.split(":")
    task = load_template(file).resources["ConsumerTaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    env = {e["Name"]: e["Value"] for e in task["Environment"]}
    assert env.get(entry.env) == {"Ref": name}


def test_the_rollup_lambda_gets_the_user_day_retention_from_the_streaming_stack() -> None:
    from consumers.deploy.stacks import STACKS

    fn = load_template("dashboard.yaml").resources["BudgetFunction"]["Properties"]
    assert fn["Environment"]["Variables"]["CCSTREAM_RETENTION_USER_DAYS"] == {"Ref": "UserDayRetentionDays"}
    assert STACKS["dashboard"].inputs["UserDayRetentionDays"] == ("streaming", "UserDayRetentionDays")
    assert "UserDayRetentionDays" in load_template("streaming.yaml").output_names


@pytest.mark.parametrize("entry", [r for r in RETENTIONS if r.literals], ids=lambda r: r.key)
def test_fixed_log_group_retentions(entry: Any) -> None:
    for literal in entry.literals:
        file, logical = literal.split(":")
        assert _kept_days(load_template(file).resources[logical]) == [entry.value], literal


def _kept_days(resource: dict[str, Any]) -> list[Any]:
    """A log group's RetentionInDays, or a bucket's lifecycle ExpirationInDays (one per expiring rule)."""
    props = resource["Properties"]
    if resource["Type"] == "AWS::Logs::LogGroup":
        return [props["RetentionInDays"]]
    rules = (props.get("LifecycleConfiguration") or {}).get("Rules", [])
    return [r["ExpirationInDays"] for r in rules if "ExpirationInDays" in r]


def test_every_log_group_and_bucket_lifecycle_is_in_the_table() -> None:
    """A new log group or bucket must get a row (or reuse a parameter) before it can ship."""
    params = {r.parameter.split(":")[1] for r in RETENTIONS if r.parameter}
    literals = {x.split(":")[1] for r in RETENTIONS for x in r.literals}
    for file in ("streaming.yaml", "analytics.yaml", "dashboard.yaml", "monitoring.yaml", "networking.yaml"):
        for logical, res in load_template(file).resources.items():
            if res["Type"] not in ("AWS::Logs::LogGroup", "AWS::S3::Bucket"):
                continue
            for days in _kept_days(res):
                assert logical in literals or (isinstance(days, dict) and days["Ref"] in params), (file, logical)


def test_rows_user_days_markers_and_snapshots_expire_as_configured() -> None:
    env = {
        "CCSTREAM_RETENTION_ROWS_1D": "90",
        "CCSTREAM_RETENTION_USER_ROWS": "30",
        "CCSTREAM_RETENTION_USER_DAYS": "60",
    }
    custom = RetentionSettings.from_env(env)
    day_end_s = (WINDOW_START + DAY_S * 1000) // 1000
    assert ttl_s(RowKey("W", "1d", WINDOW_START)) == day_end_s + 400 * DAY_S  # the default
    assert ttl_s(RowKey("W", "1d", WINDOW_START), custom) == day_end_s + 90 * DAY_S
    assert ttl_s(RowKey("U", "1d", WINDOW_START), custom) == day_end_s + 30 * DAY_S  # capped by user rows
    minute_end_s = (WINDOW_START + 60_000) // 1000
    assert ttl_s(RowKey("U", "1m", WINDOW_START), custom) == minute_end_s + 2 * DAY_S  # its size's is shorter
    assert user_day_item(WINDOW_START, "a@b.c", {}, 0, custom)["ttl"] == day_end_s + 60 * DAY_S
    assert user_day_item(WINDOW_START, "a@b.c", {}, 0)["ttl"] == day_end_s + 400 * DAY_S
    assert Tunables().retention == RetentionSettings()
    assert retention("budget_alerts").value * DAY_S == ALERT_TTL_AFTER_MONTH_S

    puts: list[dict[str, Any]] = []

    class Client:
        def put_item(self, **kw: Any) -> dict[str, Any]:
            puts.append(kw["Item"])
            return {}

    stores = DynamoStores(Client(), "t", retention=RetentionSettings.from_env({"CCSTREAM_RETENTION_SNAPSHOTS": "3"}))
    stores.save_snapshot("app", "shard", ShardSnapshot((1, 0), 0, {}))
    stores.claim("shard", [("fp", (1, 0))])
    snapshot, marker = puts
    import time

    now = int(time.time())
    assert abs(int(snapshot["ttl"]["N"]) - (now + 3 * DAY_S)) < 60
    assert abs(int(marker["ttl"]["N"]) - (now + 48 * 3600)) < 60


@pytest.mark.parametrize("text", ["0", "-1", "x"])
def test_bad_retention_values_are_refused(text: str) -> None:
    with pytest.raises(ConfigError):
        RetentionSettings.from_env({"CCSTREAM_RETENTION_ROWS_1M": text})
    with pytest.raises(ConfigError):
        RetentionSettings.from_env({"CCSTREAM_RETENTION_DEDUP_MARKERS": "24"})  # shorter than CloudWatch's retries


def _values(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _values(v)
    elif isinstance(node, list):
        for v in node:
            yield from _values(v)
