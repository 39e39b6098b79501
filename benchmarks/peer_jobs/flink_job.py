"""The windowed job in Apache Flink SQL through PyFlink (run in `.cache/peers/flink` by `benchmarks/peers.py`).

    python -m benchmarks.peer_jobs.flink_job SPEC.json

Input: the EMF lines as the subscription delivered them (gunzipped and taken out of their envelopes by the
harness, one line per row of an NDJSON file). Flink reads them with its filesystem connector and JSON format (the
line decode happens in Flink, in Java), unpivots the catalogue's metric columns (`CROSS JOIN UNNEST`), and runs
window TVFs (`TUMBLE`) on an event-time attribute with a 48 h watermark delay (our allowed lateness): sums per
group and per user and `COUNT(DISTINCT user)` for 1m, 1h, 1d, all in ONE streaming job (a statement set; the source
is read once), parallelism 1, written to JSON files. Timed: the job from submission to its end (CPU of this process
and the JVM it started, from /proc), and separately the set-up before it (JVM start, catalog, planning).
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from benchmarks.peer_jobs.points import load_spec, process_tree_cpu_s, write_totals


def quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def interval(length_ms: int) -> str:
    """A SQL interval literal for a window length (the largest whole unit)."""
    for unit, ms in (("DAY", 86_400_000), ("HOUR", 3_600_000), ("MINUTE", 60_000), ("SECOND", 1000)):
        if length_ms % ms == 0:
            return f"INTERVAL '{length_ms // ms}' {unit}"
    raise ValueError(f"window length {length_ms} ms is not a whole number of seconds")


def statements(spec: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(DDL, INSERTs) of the job."""
    groupable: list[str] = spec["groupable"]
    metrics: list[str] = spec["metrics"]
    strings = list(dict.fromkeys([*groupable, "user.email", "user.id"]))
    columns = [
        "`_aws` ROW<`Timestamp` BIGINT>",
        *(f"{quoted(a)} STRING" for a in strings),
        *(f"{quoted(m)} DOUBLE" for m in metrics),
        "ts AS TO_TIMESTAMP_LTZ(`_aws`.`Timestamp`, 3)",
        "WATERMARK FOR ts AS ts - INTERVAL '48' HOUR",
    ]
    group = "CONCAT_WS(CHR(31), " + ", ".join(f"COALESCE({quoted(a)}, '')" for a in groupable) + ")"
    user = "COALESCE(NULLIF(`user.email`, ''), NULLIF(`user.id`, ''))"
    unpivot = ", ".join(f"ROW('{m}', {quoted(m)})" for m in metrics)
    ddl = [
        f"CREATE TABLE lines ({', '.join(columns)}) WITH ('connector' = 'filesystem', 'path' = '{spec['input']}', "
        "'format' = 'json', 'json.fail-on-missing-field' = 'false')",
        f"CREATE VIEW points AS SELECT ts, grp, usr, metric, val FROM (SELECT ts, {group} AS grp, {user} AS usr, "
        f"ARRAY[{unpivot}] AS vals FROM lines) CROSS JOIN UNNEST(vals) AS t (metric, val) "
        "WHERE val IS NOT NULL AND val >= 0",
    ]
    out = spec["output_dir"]
    for name, schema in (
        ("out_groups", "size STRING, ws STRING, k STRING, metric STRING, total DOUBLE"),
        ("out_users", "size STRING, ws STRING, k STRING, metric STRING, total DOUBLE"),
        ("out_distinct", "size STRING, ws STRING, n BIGINT"),
    ):
        ddl.append(
            f"CREATE TABLE {name} ({schema}) WITH ('connector' = 'filesystem', 'path' = '{out}/{name}', "
            "'format' = 'json')"
        )
    inserts = []
    for size, length_ms in spec["sizes"].items():
        window = f"TABLE(TUMBLE(TABLE points, DESCRIPTOR(ts), {interval(length_ms)}))"
        ws = "CAST(window_start AS STRING)"
        inserts += [
            f"INSERT INTO out_groups SELECT '{size}', {ws}, grp, metric, SUM(val) FROM {window} "
            "GROUP BY window_start, window_end, grp, metric",
            f"INSERT INTO out_users SELECT '{size}', {ws}, usr, metric, SUM(val) FROM {window} WHERE usr IS NOT NULL "
            "GROUP BY window_start, window_end, usr, metric",
            f"INSERT INTO out_distinct SELECT '{size}', {ws}, COUNT(DISTINCT usr) FROM {window} "
            "WHERE usr IS NOT NULL GROUP BY window_start, window_end",
        ]
    return ddl, inserts


def main(argv: list[str]) -> int:
    from pyflink.table import EnvironmentSettings, TableEnvironment  # only in .cache/peers/flink

    spec = load_spec(argv[0])
    me = os.getpid()
    began = process_tree_cpu_s(me)
    env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    config = env.get_config()
    config.set("parallelism.default", "1")
    config.set("table.local-time-zone", "UTC")
    ddl, inserts = statements(spec)
    for statement in ddl:
        env.execute_sql(statement)
    job = env.create_statement_set()
    for statement in inserts:
        job.add_insert_sql(statement)
    ready = process_tree_cpu_s(me)
    wall = time.perf_counter()
    job.execute().wait()
    wall = time.perf_counter() - wall
    done = process_tree_cpu_s(me)
    write_totals(spec["output"], {"cpu": {"setup": ready - began, "job": done - ready}, "wall": wall})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
