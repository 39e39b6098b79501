-- name: cost_by_model
-- description: Tokens by type and list-price cost by model in the last 7 days (USD per token from schemas/prices.json, cache writes at the 5-minute rate; NULL cost = model not in the price table), next to Claude Code's own cost.usage estimate.
SELECT
    model,
    SUM(CASE WHEN type = 'input' THEN token_usage ELSE 0 END) AS input_tokens,
    SUM(CASE WHEN type = 'output' THEN token_usage ELSE 0 END) AS output_tokens,
    SUM(CASE WHEN type = 'cacheRead' THEN token_usage ELSE 0 END) AS cache_read_tokens,
    SUM(CASE WHEN type = 'cacheCreation' THEN token_usage ELSE 0 END) AS cache_creation_tokens,
    ROUND(SUM(token_usage * {{price_per_token}}), 6) AS list_cost_usd,
    ROUND(SUM(CASE WHEN metric = 'claude_code.cost.usage' THEN value ELSE 0 END), 6) AS reported_cost_usd
FROM metrics_all
WHERE year >= YEAR(CURRENT_DATE - INTERVAL '7' DAY)
    AND from_unixtime(timestamp / 1000) >= CURRENT_TIMESTAMP - INTERVAL '7' DAY
    AND metric IN ('claude_code.token.usage', 'claude_code.cost.usage')
GROUP BY model
ORDER BY list_cost_usd DESC NULLS LAST, model;
