"""Where aggregates, dedup markers, shard state and dead letters are written (DynamoDB/S3, or memory in tests)."""
