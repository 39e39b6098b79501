"""The Parquet lake: transform, Firehose-like buffering, Parquet writer, local mirror and totals.

- `transform.py`: one subscription record → flat rows (one per data point) + dead letters; used by both paths.
- `firehose_lambda.py`: the Firehose data-transformation Lambda (AWS path).
- `buffer.py`, `writer.py`: the local path's buffering and Parquet files in S3
  (run by `consumers/kcl/lake_processor.py`).
- `bucket.py`, `cache.py`: which bucket; a local mirror of its Parquet files for DuckDB.

`lake_totals(...)` (lake sums per metric and window, for reconciliation) is in `consumers/athena/totals.py`.

Nothing is imported here on purpose: the Lambda must not pay for pyarrow.
"""
