-- name: top_users_by_tokens
-- description: Top 10 users by token usage in the last 7 days (seed query, as printed). user_id is the raw user.id attribute; the 0.000015 flat rate is the seed's — see cost_by_model for real prices.
WITH user_totals AS (
    SELECT
        user_id,
        SUM(token_usage) as total_tokens,
        COUNT(DISTINCT session_id) as session_count,
        COUNT(DISTINCT DATE(from_unixtime(timestamp/1000))) as active_days
    FROM metrics
    WHERE year >= YEAR(CURRENT_DATE - INTERVAL '7' DAY)
        AND from_unixtime(timestamp/1000) >= CURRENT_TIMESTAMP - INTERVAL '7' DAY
    GROUP BY user_id
)
SELECT
    SUBSTR(user_id, 1, 8) || '...' as user_id_short,
    total_tokens,
    session_count,
    active_days,
    ROUND(total_tokens * 0.000015, 2) as estimated_cost_usd
FROM user_totals
ORDER BY total_tokens DESC
LIMIT 10;
