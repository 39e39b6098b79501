"""The AWS bill for Claude on Bedrock (CUR 2.0) against what telemetry says was spent.

- `cur`          CUR 2.0 column names, the Bedrock line-item query, usage types → model and token type
- `attribution`  which developer a line item belongs to (tags, application inference profiles, IAM principal)
- `sources`      the two sides as rows: CUR (Athena table / DuckDB over the export's Parquet) and the lake
- `reconcile`    per-user, per-team, per-model differences; spend telemetry never saw; telemetry never billed
"""
