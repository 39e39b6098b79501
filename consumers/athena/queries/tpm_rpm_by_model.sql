-- name: tpm_rpm_by_model
-- description: Per model over the minutes with traffic in the last 7 days: tokens per minute counted against quotas (input + output + cacheCreation; cache reads excluded) and requests per minute, peak and average. Metrics carry no request count: rpm counts token-usage reports of type input (one per session per export interval), a lower bound on API requests.
WITH per_minute AS (
    SELECT
        model,
        date_trunc('minute', from_unixtime(timestamp / 1000)) AS minute_start,
        SUM(CASE WHEN type IN ('input', 'output', 'cacheCreation') THEN token_usage ELSE 0 END) AS tokens,
        COUNT(CASE WHEN type = 'input' THEN 1 END) AS requests
    FROM metrics
    WHERE year >= YEAR(CURRENT_DATE - INTERVAL '7' DAY)
        AND from_unixtime(timestamp / 1000) >= CURRENT_TIMESTAMP - INTERVAL '7' DAY
    GROUP BY model, date_trunc('minute', from_unixtime(timestamp / 1000))
)
SELECT
    model,
    COUNT(*) AS active_minutes,
    MAX(tokens) AS peak_tpm,
    ROUND(AVG(tokens), 2) AS avg_tpm,
    MAX(requests) AS peak_rpm,
    ROUND(AVG(requests), 2) AS avg_rpm
FROM per_minute
GROUP BY model
ORDER BY peak_tpm DESC, model;
