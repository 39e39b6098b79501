-- name: token_usage_by_model
-- description: Tokens by model and token type in the last 30 days (seed query, as printed; flat 0.000015 rate).
SELECT
    model,
    type as token_type,
    SUM(token_usage) as total_tokens,
    COUNT(DISTINCT user_id) as unique_users,
    ROUND(SUM(token_usage) * 0.000015, 2) as estimated_cost_usd
FROM metrics
WHERE year >= YEAR(CURRENT_DATE - INTERVAL '30' DAY)
    AND from_unixtime(timestamp/1000) >= CURRENT_TIMESTAMP - INTERVAL '30' DAY
GROUP BY model, type
ORDER BY total_tokens DESC;
