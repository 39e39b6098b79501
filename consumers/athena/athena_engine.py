"""Run SQL on Amazon Athena: StartQueryExecution in the analytics workgroup, poll, read the result pages.

The workgroup enforces the result location (set by the analytics template), so no OutputLocation is passed. Values
come back as text and are converted by the column types Athena reports.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from consumers.athena.result import QueryError, QueryResult

_INTEGER_TYPES = {"tinyint", "smallint", "integer", "int", "bigint"}
_FLOAT_TYPES = {"double", "float", "real", "decimal"}
_DONE = {"SUCCEEDED", "FAILED", "CANCELLED"}


def convert(text: str | None, athena_type: str) -> Any:
    """One result cell (VarCharValue) → Python, by the column's Athena type."""
    if text is None:
        return None
    t = athena_type.lower().split("(")[0]
    if t in _INTEGER_TYPES:
        return int(text)
    if t in _FLOAT_TYPES:
        return float(text)
    if t == "boolean":
        return text.lower() == "true"
    return text


class AthenaEngine:
    """One workgroup and database. The boto3 Athena client is passed in; `sleep` is injectable for tests."""

    name = "athena"

    def __init__(
        self,
        client: Any,
        workgroup: str,
        database: str,
        *,
        poll_interval_s: float = 1.0,
        timeout_s: float = 900.0,
        progress: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.workgroup = workgroup
        self.database = database
        self.poll_interval_s = poll_interval_s
        self.timeout_s = timeout_s
        self.progress = progress or (lambda _msg: None)
        self.sleep = sleep

    def run(self, sql: str) -> QueryResult:
        try:
            qid = self.client.start_query_execution(
                QueryString=sql,
                WorkGroup=self.workgroup,
                QueryExecutionContext={"Database": self.database},
            )["QueryExecutionId"]
        except ClientError as exc:
            raise QueryError(
                f"Athena refused the query ({exc.response.get('Error', {}).get('Message', exc)}); check that the "
                f"analytics stack is deployed (workgroup {self.workgroup}, database {self.database})"
            ) from exc
        execution = self._wait(qid)
        state = execution["Status"]["State"]
        if state != "SUCCEEDED":
            reason = execution["Status"].get("StateChangeReason", "")
            hint = ""
            if "metrics" in reason and ("does not exist" in reason or "not found" in reason):
                hint = " (run `ccstream athena setup` to create the views metrics_all, metrics and metrics_<name>)"
            raise QueryError(f"Athena query {qid} {state}: {reason}{hint}")
        result = self._results(qid, skip_header=execution.get("StatementType", "DML") == "DML")
        stats = execution.get("Statistics", {})
        result.details.update({"query_execution_id": qid, "data_scanned_bytes": stats.get("DataScannedInBytes")})
        return result

    def _wait(self, qid: str) -> dict[str, Any]:
        waited = next_report = 0.0
        last_state = ""
        while True:
            execution = self.client.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
            state = execution["Status"]["State"]
            if state in _DONE:
                return execution
            if state != last_state or waited >= next_report:
                self.progress(f"Athena query {qid}: {state} ({waited:.0f}s)")
                last_state, next_report = state, waited + 10
            if waited >= self.timeout_s:
                self.client.stop_query_execution(QueryExecutionId=qid)
                raise QueryError(f"Athena query {qid} still {state} after {self.timeout_s:.0f}s; it was cancelled")
            self.sleep(self.poll_interval_s)
            waited += self.poll_interval_s

    def _results(self, qid: str, *, skip_header: bool) -> QueryResult:
        columns: list[str] = []
        types: list[str] = []
        rows: list[tuple[Any, ...]] = []
        first = True
        for page in self.client.get_paginator("get_query_results").paginate(QueryExecutionId=qid):
            meta = page["ResultSet"].get("ResultSetMetadata", {}).get("ColumnInfo", [])
            if not columns:
                columns = [c["Name"] for c in meta]
                types = [c.get("Type", "varchar") for c in meta]
            page_rows = page["ResultSet"].get("Rows", [])
            if first and skip_header and page_rows:
                page_rows = page_rows[1:]  # a SELECT's first row repeats the column names
            first = False
            for row in page_rows:
                cells = [d.get("VarCharValue") for d in row.get("Data", [])]
                rows.append(tuple(convert(v, t) for v, t in zip(cells, types, strict=False)))
        return QueryResult(columns, rows, self.name, {})
