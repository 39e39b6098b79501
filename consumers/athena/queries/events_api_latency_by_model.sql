-- name: events_api_latency_by_model
-- description: API latency per model, last 7 days (events): requests, duration p50/p95/p99, time-to-first-token p95 (ms).
SELECT
    model,
    COUNT(*) AS requests,
    approx_percentile(duration_ms, 0.5) AS p50_ms,
    approx_percentile(duration_ms, 0.95) AS p95_ms,
    approx_percentile(duration_ms, 0.99) AS p99_ms,
    approx_percentile(ttft_ms, 0.95) AS ttft_p95_ms
FROM events
WHERE year >= YEAR(CURRENT_DATE - INTERVAL '7' DAY)
    AND from_unixtime(timestamp / 1000) >= CURRENT_TIMESTAMP - INTERVAL '7' DAY
    AND event_name = 'api_request'
GROUP BY model
ORDER BY requests DESC, model;
