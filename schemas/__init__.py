"""The one source of truth for what ccstream reads and writes.

- `catalogue`  the Claude Code metric catalogue (names, units, attributes) and the attributes the lake keeps
- `envelope`   the CloudWatch Logs subscription envelope that arrives in Kinesis (gzip'd JSON)
- `emf`        awsemf EMF lines → typed `DataPoint`s
- `keys`       the DynamoDB single-table key design and item kinds
- `prices`     the dated model rate card (`prices.json`): list prices per family and token type, Bedrock rule
- `ratecard`   the effective rate card: the dated card plus customer overrides (`$CCSTREAM_PRICING`)
- `lake`       the Parquet / Glue columns of the lake

`consumers` imports `schemas`; `schemas` imports nothing from `consumers`.
"""
