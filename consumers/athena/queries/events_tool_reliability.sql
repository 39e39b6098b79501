-- name: events_tool_reliability
-- description: Per tool, last 7 days: decisions accepted/rejected, results, success rate of tools that ran (a rejected tool has no result), p95 ms.
SELECT
    tool_name,
    COUNT(CASE WHEN event_name = 'tool_decision' AND decision = 'accept' THEN 1 END) AS accepted,
    COUNT(CASE WHEN event_name = 'tool_decision' AND decision = 'reject' THEN 1 END) AS rejected,
    COUNT(CASE WHEN event_name = 'tool_result' THEN 1 END) AS results,
    ROUND(
        CAST(COUNT(CASE WHEN event_name = 'tool_result' AND success THEN 1 END) AS DOUBLE)
        / NULLIF(COUNT(CASE WHEN event_name = 'tool_result' AND success IS NOT NULL THEN 1 END), 0),
        6
    ) AS success_rate,
    approx_percentile(CASE WHEN event_name = 'tool_result' THEN duration_ms END, 0.95) AS p95_ms
FROM events
WHERE year >= YEAR(CURRENT_DATE - INTERVAL '7' DAY)
    AND from_unixtime(timestamp / 1000) >= CURRENT_TIMESTAMP - INTERVAL '7' DAY
    AND event_name IN ('tool_decision', 'tool_result')
GROUP BY tool_name
ORDER BY results DESC, tool_name;
