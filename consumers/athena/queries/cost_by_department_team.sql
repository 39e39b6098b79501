-- name: cost_by_department_team
-- description: Users, tokens and list-price cost by department and team in the last 7 days (prices from schemas/prices.json; missing department/team shown as 'unspecified'), next to Claude Code's own cost.usage estimate.
SELECT
    COALESCE(department, 'unspecified') AS department,
    COALESCE(team_id, 'unspecified') AS team,
    COUNT(DISTINCT user_key) AS users,
    SUM(COALESCE(token_usage, 0)) AS total_tokens,
    ROUND(SUM(token_usage * {{price_per_token}}), 6) AS list_cost_usd,
    ROUND(SUM(CASE WHEN metric = 'claude_code.cost.usage' THEN value ELSE 0 END), 6) AS reported_cost_usd
FROM metrics_all
WHERE year >= YEAR(CURRENT_DATE - INTERVAL '7' DAY)
    AND from_unixtime(timestamp / 1000) >= CURRENT_TIMESTAMP - INTERVAL '7' DAY
    AND metric IN ('claude_code.token.usage', 'claude_code.cost.usage')
GROUP BY COALESCE(department, 'unspecified'), COALESCE(team_id, 'unspecified')
ORDER BY list_cost_usd DESC NULLS LAST, department, team;
