-- name: code_acceptance_by_language
-- description: Edit/Write/NotebookEdit decisions by language in the last 7 days (claude_code.code_edit_tool.decision): accepted, rejected and acceptance rate = accepted / (accepted + rejected).
WITH decisions AS (
    SELECT
        COALESCE(language, 'unknown') AS language,
        SUM(CASE WHEN decision = 'accept' THEN value ELSE 0 END) AS accepted,
        SUM(CASE WHEN decision = 'reject' THEN value ELSE 0 END) AS rejected
    FROM metrics_code_edit_tool_decision
    WHERE year >= YEAR(CURRENT_DATE - INTERVAL '7' DAY)
        AND from_unixtime(timestamp / 1000) >= CURRENT_TIMESTAMP - INTERVAL '7' DAY
    GROUP BY COALESCE(language, 'unknown')
)
SELECT
    language,
    accepted,
    rejected,
    ROUND(accepted / NULLIF(accepted + rejected, 0), 4) AS acceptance_rate
FROM decisions
ORDER BY accepted + rejected DESC, language;
