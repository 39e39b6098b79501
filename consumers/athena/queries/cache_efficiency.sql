-- name: cache_efficiency
-- description: Prompt caching by model in the last 7 days: cache_efficiency = cacheRead / (cacheRead + cacheCreation) (the dashboard's definition); cached_input_share = cacheRead / (cacheRead + cacheCreation + input).
WITH by_model AS (
    SELECT
        model,
        SUM(CASE WHEN type = 'input' THEN token_usage ELSE 0 END) AS input_tokens,
        SUM(CASE WHEN type = 'cacheRead' THEN token_usage ELSE 0 END) AS cache_read_tokens,
        SUM(CASE WHEN type = 'cacheCreation' THEN token_usage ELSE 0 END) AS cache_creation_tokens
    FROM metrics
    WHERE year >= YEAR(CURRENT_DATE - INTERVAL '7' DAY)
        AND from_unixtime(timestamp / 1000) >= CURRENT_TIMESTAMP - INTERVAL '7' DAY
    GROUP BY model
)
SELECT
    model,
    input_tokens,
    cache_read_tokens,
    cache_creation_tokens,
    ROUND(cache_read_tokens / NULLIF(cache_read_tokens + cache_creation_tokens, 0), 4) AS cache_efficiency,
    ROUND(cache_read_tokens / NULLIF(cache_read_tokens + cache_creation_tokens + input_tokens, 0), 4) AS cached_input_share
FROM by_model
ORDER BY cache_read_tokens DESC, model;
