"""`ccstream bill reconcile` on a CUR 2.0 export and a lake the test builds: it finds exactly what was planted.

Planted in November 2026 (Bedrock prices typed in here: geographic profiles of the 4.5 generation +10 %):
- alice: federated through IAM Identity Center (role session = her e-mail); billed what telemetry says → match
- bob: IAM user mapped in the config; billed 25 % more than telemetry → the one mismatch, +2.75 USD
- carol: calls through a shared gateway role, attributed by the `user_email` cost allocation tag → match
- a CI runner role: 7.77 USD nobody can be named for → unattributed
- dave: billed 4.20 USD, no telemetry at all → spend telemetry never saw
- erin: telemetry 3.30 USD, nothing billed → telemetry with no matching spend
- noise that must not count: a credit line, an October line item, a non-Claude Bedrock line
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from consumers.cli.app import app
from tests.bill.cur_layout import CurRow, TokenPoint, write_cur, write_lake

NOV = datetime(2026, 11, 10, 14, tzinfo=UTC)
ACCOUNT = "111122223333"
SONNET_US = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
OPUS_US = "us.anthropic.claude-opus-4-5-20251101-v1:0"
HAIKU_GLOBAL = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
#: USD per million tokens on Bedrock, typed in (not read from the rate card)
PRICE = {
    SONNET_US: {"input": 3.3, "output": 16.5, "cacheRead": 0.33, "cacheCreation": 4.125},
    OPUS_US: {"input": 5.5, "output": 27.5, "cacheRead": 0.55, "cacheCreation": 6.875},
    HAIKU_GLOBAL: {"input": 1.0, "output": 5.0, "cacheRead": 0.1, "cacheCreation": 1.25},
}
USAGE_TYPE = {
    SONNET_US: "USE1-Claude4.5Sonnet",
    OPUS_US: "USE1-Claude4.5Opus",
    HAIKU_GLOBAL: "USE1-Claude4.5Haiku",
}
SUFFIX = {
    "input": "input-tokens",
    "output": "output-tokens",
    "cacheRead": "cache-read-input-token-count",
    "cacheCreation": "cache-write-input-token-count",
}
ALICE_ROLE = f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_Developer_0a1b2c3d/alice@example.com"
BOB_USER = f"arn:aws:iam::{ACCOUNT}:user/bob"
GATEWAY = f"arn:aws:sts::{ACCOUNT}:assumed-role/bedrock-gateway/gw-task-1"
CI = f"arn:aws:sts::{ACCOUNT}:assumed-role/ci-runner/i-0abc123"
DAVE_ROLE = f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_Developer_0a1b2c3d/dave@example.com"

USAGE = [  # (user, team, model, {type: tokens})
    ("alice@example.com", "platform", SONNET_US, {"input": 2e6, "output": 4e5, "cacheRead": 1e7, "cacheCreation": 8e5}),
    ("bob@example.com", "payments", OPUS_US, {"input": 1e6, "output": 2e5}),
    ("carol@example.com", "platform", HAIKU_GLOBAL, {"input": 3e6, "output": 1e6}),
    ("erin@example.com", "search", SONNET_US, {"input": 1e6}),
]


def usd(model: str, token_type: str, tokens: float) -> float:
    return tokens * PRICE[model][token_type] / 1e6


def build(tmp_path: Path) -> tuple[Path, Path]:
    points, cur = [], []
    for user, team, model, tokens in USAGE:
        for i, (typ, n) in enumerate(tokens.items()):
            for day in (0, 1):  # split over two days and two hours
                ts = NOV.replace(day=10 + day, hour=14 + i % 2)
                points.append(TokenPoint(ts, user, team, model, typ, n / 2))
                line = CurRow(ts, f"{USAGE_TYPE[model]}-{SUFFIX[typ]}", n / 2, usd(model, typ, n / 2), None, {})
                if user == "alice@example.com":
                    cur.append(line.__class__(**{**line.__dict__, "principal": ALICE_ROLE}))
                elif user == "bob@example.com":
                    cur.append(line.__class__(**{**line.__dict__, "principal": BOB_USER, "cost": line.cost * 1.25}))
                elif user == "carol@example.com":
                    tags = {"user_email": "carol@example.com", "user_team": "platform"}
                    cur.append(line.__class__(**{**line.__dict__, "principal": GATEWAY, "tags": tags}))
                # erin: nothing billed
    cur.append(CurRow(NOV, "USE1-Claude4.5Sonnet-output-tokens", 470_909.0909, 7.77, CI, {}))
    cur.append(CurRow(NOV, "USE1-Claude4.5Sonnet-input-tokens", 1_272_727.27, 4.20, DAVE_ROLE, {}))
    cur.append(CurRow(NOV, "USE1-Claude4.5Sonnet-input-tokens", 0, -50.0, ALICE_ROLE, {}, line_type="Credit"))
    cur.append(CurRow(NOV.replace(month=10), "USE1-Claude4.5Opus-input-tokens", 1e6, 5.5, BOB_USER, {}))
    cur.append(CurRow(NOV, "USE1-TitanEmbedG1-Text-input-tokens", 1e6, 0.1, BOB_USER, {}))
    return write_lake(tmp_path / "lake", points), write_cur(tmp_path / "cur", "2026-11", cur)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp_path = tmp_path_factory.mktemp("bill")
    lake, cur = build(tmp_path)
    config = tmp_path / "bill.yaml"
    config.write_text(f'principals:\n  "{BOB_USER}": bob@example.com\nuser_tags: [user_email]\n')
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CCSTREAM_PRICING_JSON", '{"channel": "auto"}')
        mp.delenv("CCSTREAM_PRICING", raising=False)
        args = ["bill", "reconcile", "--month", "2026-11", "--json", "--engine", "duckdb"]
        args += ["--lake-dir", str(lake), "--cur-dir", str(cur), "--config", str(config)]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        strict = CliRunner().invoke(app, [*args, "--strict"])
        assert strict.exit_code == 1  # the mismatch fails a strict run
        human = CliRunner().invoke(app, [a for a in args if a != "--json"])
        assert "unattributed: 7.77 USD by " + CI in human.output and "mismatch" in human.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def tel(user: str) -> float:
    return sum(usd(m, t, n) for u, _, m, tokens in USAGE if u == user for t, n in tokens.items())


def test_report_finds_exactly_the_planted_mismatch_and_gaps(report: dict) -> None:
    users = {u["key"]: u for u in report["users"]}
    assert {k: u["status"] for k, u in users.items()} == {
        "alice@example.com": "match",
        "bob@example.com": "mismatch",
        "carol@example.com": "match",
        "dave@example.com": "bill_only",
        "erin@example.com": "telemetry_only",
    }
    assert users["bob@example.com"]["difference_usd"] == pytest.approx(0.25 * (1 * 5.5 + 0.2 * 27.5), abs=1e-6)
    assert users["alice@example.com"]["difference_usd"] == pytest.approx(0.0, abs=1e-6)
    assert users["alice@example.com"]["telemetry_usd"] == pytest.approx(tel("alice@example.com"), abs=1e-6)
    assert users["dave@example.com"]["billed_usd"] == pytest.approx(4.20)
    assert users["erin@example.com"]["telemetry_usd"] == pytest.approx(3.30)
    assert report["unattributed"] == [{"principal": CI, "billed_usd": 7.77}]
    how = {k: u.get("how") for k, u in users.items()}
    assert how["alice@example.com"] == "role session name" and how["bob@example.com"] == "principal map"
    assert how["carol@example.com"] == "tag user_email"


def test_totals_teams_and_models_add_up(report: dict) -> None:
    billed = tel("alice@example.com") + 1.25 * tel("bob@example.com") + tel("carol@example.com") + 7.77 + 4.20
    telemetry = sum(tel(u) for u, *_ in USAGE)
    assert report["totals"]["billed_usd"] == pytest.approx(billed, abs=1e-6)
    assert report["totals"]["telemetry_usd"] == pytest.approx(telemetry, abs=1e-6)
    assert report["totals"]["mismatched_users"] == 1
    teams = {t["key"]: (t["billed_usd"], t["telemetry_usd"]) for t in report["teams"]}
    platform = tel("alice@example.com") + tel("carol@example.com")
    assert teams["platform"] == pytest.approx((platform, platform), abs=1e-6)
    assert teams["payments"] == pytest.approx((1.25 * tel("bob@example.com"), tel("bob@example.com")), abs=1e-6)
    models = {m["key"]: m["billed_usd"] for m in report["models"]}
    assert models["sonnet-4.5"] == pytest.approx(tel("alice@example.com") + 7.77 + 4.20, abs=1e-6)
    assert set(models) == {"sonnet-4.5", "opus-4.5", "haiku-4.5"}  # Titan and October are not Claude this month
    assert report["prices"]["channel"] == "auto" and report["prices"]["rate_card"].count("+") == 1
