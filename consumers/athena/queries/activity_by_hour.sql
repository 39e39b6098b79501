-- name: activity_by_hour
-- description: Active users and tokens by hour of day (UTC) in the last 7 days (seed query, as printed).
SELECT
    HOUR(from_unixtime(timestamp/1000)) as hour_of_day,
    COUNT(DISTINCT user_id) as active_users,
    SUM(token_usage) as total_tokens
FROM metrics
WHERE year >= YEAR(CURRENT_DATE - INTERVAL '7' DAY)
    AND from_unixtime(timestamp/1000) >= CURRENT_TIMESTAMP - INTERVAL '7' DAY
GROUP BY HOUR(from_unixtime(timestamp/1000))
ORDER BY hour_of_day;
