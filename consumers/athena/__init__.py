"""Athena: named queries (`queries/*.sql`, Trino SQL) and the engines that run them.

- `named.py`: load and render the named queries; `pricing_sql.py` renders the price table into SQL;
  `views.py` the de-duplicating view `metrics` over `metrics_raw`; `names.py` database and workgroup names.
- `duckdb_engine.py`: locally, the same SQL translated by sqlglot (Trino → DuckDB) over a mirror of the lake.
- `athena_engine.py`: on AWS, StartQueryExecution in the analytics workgroup.
- `engine.py`: picks one for a target (`AwsTarget.is_emulator` → DuckDB).
- `totals.py`: `lake_totals(...)`, lake sums per (metric, window start) for reconciliation.
- `cfn.py`: CloudFormation fragments (Glue table, named queries) for `infra/analytics.yaml`.
"""
