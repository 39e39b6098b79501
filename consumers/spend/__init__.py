"""Claude spend: what developers, teams and the organisation spend, will spend, and may spend.

Read side of the aggregates (never the ingestion path); prices come from `schemas/ratecard.py`.
- `months`, `series`     UTC months and days; daily USD and tokens per user, team, cost center, org, from 1d rows
- `forecast`, `backtest` month-end projection with a weekday/weekend-aware band, run-out dates; its backtest
- `status`, `status_lambda`, `status_client`
                         stored budget decisions; the IAM-authorised endpoint a credential helper asks; its client
- `runaway`, `runaway_check`, `runaway_lambda`
                         baselines and the spike rule; one check with deduplicated alerts; the every-minute Lambda
- `identity`, `me`, `me_page`
                         who is asking (the OIDC verifier seam); one developer's own figures; the /me page
- `export`, `report`     finance's CSV/Parquet export; the monthly S3 + SNS report Lambda
- `provenance`           checks a stored figure's prices; the cache-write split seam (events)

Budgets themselves are `consumers/dashboard/budgets.py` and `alerts.py`; the AWS bill (CUR 2.0) is `consumers/bill/`;
the product's own AWS cost model is `consumers/cost/`.
"""
