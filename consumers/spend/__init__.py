"""Claude spend: what developers, teams and the organisation spend, will spend, and may spend.

- `series`    daily spend (USD at the effective rate card, and tokens) per user, team, group and org, from 1d rows
- `forecast`  month-end projection with a weekday/weekend-aware uncertainty band, and budget run-out dates
- `backtest`  a simulated quarter: how often the band held the real month-end
- `runaway`   per-developer and per-team baselines, and the spike detector behind runaway alerts
- `status`    the budget status a credential helper or gateway asks before letting a developer in
- `me`        one developer's own figures (today, this month, budget, forecast, by model)
- `export`    finance's export (by user, team, cost center or model) and the monthly report
- `provenance` which prices produced a figure, checked against the stored aggregates

The AWS bill itself (CUR 2.0) is `consumers/bill/`; the product's own AWS cost model is `consumers/cost/`.
"""
