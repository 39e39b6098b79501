"""The Athena engine (StartQueryExecution, polling, typed results) and the DuckDB engine on an empty lake."""

from __future__ import annotations

import json
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from consumers.athena.athena_engine import AthenaEngine
from consumers.athena.duckdb_engine import DuckDbEngine
from consumers.athena.named import render_named_queries
from consumers.athena.result import QueryError
from consumers.aws import AwsTarget


def _queue_result(endpoint: str, rows: list[list[str | None]], columns: list[tuple[str, str]]) -> None:
    body = {
        "results": [
            {
                "rows": [{"Data": [{} if v is None else {"VarCharValue": v} for v in r]} for r in rows],
                "column_info": [{"Name": n, "Type": t, "Label": n} for n, t in columns],
            }
        ]
    }
    req = urllib.request.Request(
        f"{endpoint}/moto-api/static/athena/query-results",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(req, timeout=10).read()


def test_athena_engine_reads_typed_rows_after_the_header(aws: AwsTarget) -> None:
    client = aws.client("athena")
    workgroup = f"wg-{uuid.uuid4().hex[:8]}"
    client.create_work_group(Name=workgroup, Configuration={"ResultConfiguration": {"OutputLocation": "s3://r/"}})
    cols = [("model", "varchar"), ("total_tokens", "double"), ("users", "bigint"), ("ok", "boolean")]
    _queue_result(
        aws.endpoint_url or "",
        [["model", "total_tokens", "users", "ok"], ["m1", "12.5", "3", "true"], ["m2", None, "0", "false"]],
        cols,
    )
    engine = AthenaEngine(client, workgroup, "claude_code_analytics", sleep=lambda _s: None)
    result = engine.run("SELECT model, total_tokens, users, ok FROM metrics")
    assert result.columns == ["model", "total_tokens", "users", "ok"]
    assert result.rows == [("m1", 12.5, 3, True), ("m2", None, 0, False)]
    assert result.details["query_execution_id"]


@dataclass
class FakeAthena:
    """Scripted states for one query; records what was asked."""

    states: list[dict[str, Any]]
    calls: list[str] = field(default_factory=list)

    def start_query_execution(self, **kw: Any) -> dict[str, str]:
        self.calls.append(f"start {kw['WorkGroup']} {kw['QueryExecutionContext']['Database']}")
        return {"QueryExecutionId": "q-1"}

    def get_query_execution(self, QueryExecutionId: str) -> dict[str, Any]:
        self.calls.append("get")
        return {"QueryExecution": {"Status": self.states.pop(0), "StatementType": "DML"}}

    def stop_query_execution(self, QueryExecutionId: str) -> None:
        self.calls.append("stop")


def test_athena_engine_reports_failures_with_the_reason_and_a_hint() -> None:
    fake = FakeAthena(
        [
            {"State": "QUEUED"},
            {"State": "RUNNING"},
            {"State": "FAILED", "StateChangeReason": "Table awsdatacatalog.db.metrics does not exist"},
        ]
    )
    progress: list[str] = []
    engine = AthenaEngine(fake, "wg", "db", sleep=lambda _s: None, progress=progress.append)
    with pytest.raises(QueryError, match=r"FAILED: Table .*metrics does not exist.*ccstream athena setup"):
        engine.run("SELECT 1 FROM metrics")
    assert fake.calls == ["start wg db", "get", "get", "get"]
    assert [p.split(":")[1].split()[0] for p in progress] == ["QUEUED", "RUNNING"]


def test_athena_engine_cancels_after_its_timeout() -> None:
    fake = FakeAthena([{"State": "RUNNING"}] * 10)
    engine = AthenaEngine(fake, "wg", "db", poll_interval_s=1, timeout_s=3, sleep=lambda _s: None)
    with pytest.raises(QueryError, match="cancelled"):
        engine.run("SELECT 1")
    assert fake.calls[-1] == "stop" and fake.calls.count("get") == 4


def test_duckdb_engine_on_an_empty_lake_runs_every_query(tmp_path: Path) -> None:
    engine = DuckDbEngine(tmp_path)
    for q in render_named_queries().values():
        assert engine.run(q.sql).rows == [], q.name
    assert engine.run("SELECT count(*) FROM metrics_raw").rows == [(0,)]
    with pytest.raises(QueryError, match="cannot parse"):
        engine.run("SELECT FROM WHERE (")
