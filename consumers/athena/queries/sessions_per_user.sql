-- name: sessions_per_user
-- description: Per user (user_key = user.email, else user.id) in the last 7 days: distinct sessions seen, sessions started (claude_code.session.count), active days, tokens, first and last activity (epoch ms).
SELECT
    user_key,
    COUNT(DISTINCT session_id) AS sessions,
    SUM(CASE WHEN metric = 'claude_code.session.count' THEN value ELSE 0 END) AS sessions_started,
    COUNT(DISTINCT DATE(from_unixtime(timestamp / 1000))) AS active_days,
    SUM(COALESCE(token_usage, 0)) AS total_tokens,
    MIN(timestamp) AS first_seen_ms,
    MAX(timestamp) AS last_seen_ms
FROM metrics_all
WHERE year >= YEAR(CURRENT_DATE - INTERVAL '7' DAY)
    AND from_unixtime(timestamp / 1000) >= CURRENT_TIMESTAMP - INTERVAL '7' DAY
    AND user_key IS NOT NULL
GROUP BY user_key
ORDER BY sessions DESC, user_key;
