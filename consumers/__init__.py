"""ccstream: Claude Code telemetry from CloudWatch Logs → Kinesis → KCL consumers → DynamoDB and a Parquet lake.

Folder map (one concept each):
  decode/      Kinesis record → subscription envelope → EMF data points (or a dead letter)
  windows/     tumbling event-time windows, per-shard watermark, lateness
  aggregates/  mergeable partial aggregates (sums per dimension set, exact distinct users/sessions), pricing
  sink/        DynamoDB partial rows (fenced, idempotent), dedup markers, dead letters
  pipeline.py  one shard: records in → state → flush → what is safe to checkpoint
  kcl/         the amazon_kclpy v3 record processor and the MultiLangDaemon launcher
  query/       reading and merging partial rows (`ccstream query`), Athena/DuckDB named queries
  lake/        the Firehose-like Parquet writer
  emulator/    moto served over HTTP/1.1 + h2c (hypercorn) for the KCL and boto3
  deploy/      CloudFormation deploys, plus the resources emulators skip
  generate/, replay/  synthetic telemetry and fixture replay
  cli/         `ccstream` commands (no business logic)
"""

__version__ = "0.1.0"
