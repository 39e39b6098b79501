-- name: events_error_rate_by_day
-- description: Per day and model, last 30 days: requests, errors after retries, exhausted retries, error rate = errors / (requests + errors).
SELECT
    date(from_unixtime(timestamp / 1000)) AS day,
    model,
    COUNT(CASE WHEN event_name = 'api_request' THEN 1 END) AS requests,
    COUNT(CASE WHEN event_name = 'api_error' THEN 1 END) AS errors,
    COUNT(CASE WHEN event_name = 'api_retries_exhausted' THEN 1 END) AS retries_exhausted,
    ROUND(
        CAST(COUNT(CASE WHEN event_name = 'api_error' THEN 1 END) AS DOUBLE)
        / NULLIF(COUNT(CASE WHEN event_name IN ('api_request', 'api_error') THEN 1 END), 0),
        6
    ) AS error_rate
FROM events
WHERE year >= YEAR(CURRENT_DATE - INTERVAL '30' DAY)
    AND from_unixtime(timestamp / 1000) >= CURRENT_TIMESTAMP - INTERVAL '30' DAY
    AND event_name IN ('api_request', 'api_error', 'api_retries_exhausted')
GROUP BY date(from_unixtime(timestamp / 1000)), model
ORDER BY day, model;
