"""`ccstream me` and `/me`: the verified developer's own figures (today, month, budget, forecast, by model) and
nobody else's; identity from the Authorization header through the resolver seam."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from consumers.athena.duckdb_engine import DuckDbEngine
from consumers.athena.pricing_sql import price_per_token_sql
from consumers.collector.auth_settings import AUDIENCE as AUDIENCE_ENV
from consumers.collector.auth_settings import ISSUER
from consumers.dashboard.config import parse_config
from consumers.dashboard.data import DashboardData
from consumers.dashboard.server import DashboardServer
from consumers.query.reader import DynamoRowReader
from consumers.spend.identity import Identity, NotAuthenticated, Resolver, oidc_resolver
from consumers.spend.me import lake_by_model, my_figures
from schemas.ratecard import load_rate_card
from tests.auth.conftest import VECTORS, vector_keys
from tests.auth.idp import AUDIENCE, LoopbackIdP, serving_idp
from tests.bill.cur_layout import TokenPoint as LakePoint
from tests.bill.cur_layout import write_lake
from tests.spend.conftest import DAY, NOV_1, NOV_21, USERS, MonthTable

NOW = NOV_21 - 60_000  # 2026-11-20 23:59
TODAY = NOV_21 - DAY
ANN = "ann@example.com"


@pytest.fixture(scope="module")
def idp() -> Iterator[LoopbackIdP]:
    with serving_idp() as provider:
        yield provider


def resolver(idp: LoopbackIdP, **env: str) -> Resolver:
    """The verifier ingestion uses (consumers.identity.oidc), configured as the collector is."""
    return oidc_resolver({ISSUER: idp.issuer, AUDIENCE_ENV: AUDIENCE, **env}, clock_ms=lambda: NOW)


def ann_token(idp: LoopbackIdP) -> str:
    return idp.token(ANN, groups=("contractors",), sub="u-ann")


def test_resolver_takes_a_verified_token_and_refuses_the_rest(idp: LoopbackIdP) -> None:
    resolve = resolver(idp)
    assert resolve("Bearer " + ann_token(idp)) == Identity(ANN, "u-ann", ("contractors",), "user")
    expired = idp.token(ANN, exp=int(time.time()) - 60, iat=int(time.time()) - 600)
    wrong = [expired, idp.token(ANN, aud="someone-else"), idp.token(ANN, key=idp.stranger)]
    for header in [None, "", "Basic abc", "Bearer ", "Bearer forged", *("Bearer " + t for t in wrong)]:
        with pytest.raises(NotAuthenticated):
            resolve(header)


def test_pseudonymous_deployments_resolve_to_the_stored_pseudonym(idp: LoopbackIdP) -> None:
    vectors = json.loads(VECTORS.read_text())["vectors"]
    # NOW is in 2026-11, under key k2 (from 2026-07, the latest key by then): the pseudonym of the 2026-07 vector.
    (expected,) = [v["pseudonym"] for v in vectors if v["identity"] == "ada@example.com" and v["month"] == "2026-07"]
    assert expected.startswith("p-k2-")
    resolve = resolver(idp, CCSTREAM_IDENTITY_MODE="pseudonymous", CCSTREAM_IDENTITY_KEYS=vector_keys())
    identity = resolve("Bearer " + idp.token("Ada@Example.com", sub="u-ada"))
    assert (identity.email, identity.user_id) == (expected, expected)


def own(month_table: MonthTable, user: str, start: int, end: int) -> tuple[float, float]:
    pts = [p for p in month_table.points if p.user == user and start <= p.ts < end]
    return sum(p.usd or 0.0 for p in pts), sum(p.tokens for p in pts)


@pytest.fixture(scope="module")
def lake(month_table: MonthTable, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("melake")
    pts = [
        LakePoint(datetime.fromtimestamp(p.ts / 1000, UTC), p.user, p.team, p.model, p.token_type, p.tokens)
        for p in month_table.points
    ]
    return write_lake(root, pts)


CONFIG = {"groups": {"contractors": {"per_user": {"monthly_cost_usd": 50}}}, "default_user": {"monthly_cost_usd": 9}}


def test_my_figures_are_mine_only(
    month_table: MonthTable, lake: Path, idp: LoopbackIdP, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CCSTREAM_PRICING", raising=False)
    monkeypatch.delenv("CCSTREAM_PRICING_JSON", raising=False)
    engine = DuckDbEngine(lake)
    provider = lake_by_model(lambda sql: engine.run(sql).records(), price_per_token_sql(load_rate_card()))
    data = DashboardData(DynamoRowReader(month_table.target.client("dynamodb"), month_table.names.table))
    identity = resolver(idp)("Bearer " + ann_token(idp))
    f = my_figures(identity, parse_config(CONFIG, "t"), data, NOW, load_rate_card().provenance(), provider)
    assert (f.today_usd, f.today_tokens) == pytest.approx(own(month_table, ANN, TODAY, NOV_21))
    assert (f.month_usd, f.month_tokens) == pytest.approx(own(month_table, ANN, NOV_1, NOV_21))
    (budget,) = f.budgets
    assert (budget.limit, budget.source) == (50, "group contractors")  # her identity's group, most specific
    assert budget.spent == pytest.approx(f.month_usd)
    assert f.projected_low_usd <= f.projected_usd <= f.projected_high_usd and f.projected_usd > f.month_usd
    by_model = {m: (u, t) for m, u, t in f.by_model or []}
    for model in by_model:
        pts = [p for p in month_table.points if p.user == ANN and p.model == model and NOV_1 <= p.ts < NOV_21]
        assert by_model[model][0] == pytest.approx(sum(p.usd or 0.0 for p in pts))
        assert by_model[model][1] == pytest.approx(sum(p.tokens for p in pts))
    assert sum(u or 0.0 for u, _ in by_model.values()) == pytest.approx(f.month_usd)
    text = json.dumps(f.to_json())
    assert not any(other in text for other in USERS if other != ANN)  # nothing about anyone else


def test_me_page_needs_a_verified_identity(month_table: MonthTable, idp: LoopbackIdP) -> None:
    server = DashboardServer(
        month_table.target,
        month_table.names,
        port=0,
        config=parse_config(CONFIG, "t"),
        clock_ms=lambda: NOW,
        budget_check_interval_s=0,
        use_cloudwatch=False,
        me_resolver=resolver(idp),
    )
    with server:
        request = urllib.request.Request(f"{server.url}/me", headers={"Authorization": "Bearer " + ann_token(idp)})
        page = urllib.request.urlopen(request, timeout=60).read().decode()
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{server.url}/me", timeout=60)
    assert refused.value.code == 401
    usd, _ = own(month_table, ANN, NOV_1, NOV_21)
    assert f"${usd:,.2f}" in page and "group contractors" in page
    assert not any(other in page for other in USERS if other != ANN)


def test_me_command_prints_my_figures(month_table: MonthTable, lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from consumers.cli.app import app

    monkeypatch.setenv("CCSTREAM_TABLE", month_table.names.table)
    monkeypatch.delenv("CCSTREAM_ID_TOKEN", raising=False)
    runner = CliRunner()
    refused = runner.invoke(app, ["me", "--endpoint-url", month_table.target.endpoint_url or ""])
    assert refused.exit_code != 0 and "who are you" in str(refused.exception)
    monkeypatch.setenv("CCSTREAM_ME_DEV_USER", ANN)  # a developer's own machine: no verifier needed
    args = ["me", "--json", "--as-of", "2026-11-20T23:59:00Z", "--lake-dir", str(lake)]
    result = runner.invoke(app, [*args, "--endpoint-url", month_table.target.endpoint_url or ""])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout.strip().splitlines()[-1])
    usd, tokens = own(month_table, ANN, NOV_1, NOV_21)
    assert doc["user"] == ANN and doc["month_to_date"]["usd"] == pytest.approx(usd, abs=1e-6)
    assert doc["month_to_date"]["tokens"] == pytest.approx(tokens)
    assert {m["model"] for m in doc["by_model"]} == {p.model for p in month_table.points if p.user == ANN}
    human = runner.invoke(
        app, [a for a in args if a != "--json"] + ["--endpoint-url", month_table.target.endpoint_url or ""]
    )
    assert human.exit_code == 0, human.output
    assert human.stdout.startswith(f"{ANN} (dev), 2026-11") and f"{usd:>12,.2f} USD" in human.stdout
