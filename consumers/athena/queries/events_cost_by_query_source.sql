-- name: events_cost_by_query_source
-- description: Exact client cost (cost_usd_micros) and tokens per query_source and subagent (agent_name NULL = main), last 7 days, with shares.
SELECT
    query_source,
    agent_name,
    COUNT(*) AS requests,
    SUM(input_tokens + output_tokens + cache_read_tokens + cache_creation_tokens) AS tokens,
    SUM(cost_usd_micros) / 1e6 AS cost_usd,
    ROUND(CAST(SUM(cost_usd_micros) AS DOUBLE) / NULLIF(SUM(SUM(cost_usd_micros)) OVER (), 0), 6) AS cost_share
FROM events
WHERE year >= YEAR(CURRENT_DATE - INTERVAL '7' DAY)
    AND from_unixtime(timestamp / 1000) >= CURRENT_TIMESTAMP - INTERVAL '7' DAY
    AND event_name = 'api_request'
GROUP BY query_source, agent_name
ORDER BY cost_usd DESC, query_source, agent_name;
