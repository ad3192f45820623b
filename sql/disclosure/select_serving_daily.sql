-- Requests and output tokens per model and UTC day in days [$start_day, $end_day]. A model-hour
-- with logged requests (raw_requests) takes its requests and tokens from the log, not from the
-- hourly serving statistics (raw_serving), so no request counts twice (docs/per-prompt.md).
WITH logged AS (
    SELECT date_trunc('hour', ts_utc) AS hour_utc, model,
           count(*) AS requests, sum(output_tokens) AS output_tokens
    FROM raw_requests
    WHERE CAST(ts_utc AS DATE) BETWEEN $start_day AND $end_day
    GROUP BY ALL
),
hours AS (
    SELECT s.hour_utc, s.model, s.requests, s.output_tokens
    FROM raw_serving AS s
    WHERE CAST(s.hour_utc AS DATE) BETWEEN $start_day AND $end_day
        AND NOT EXISTS (
            SELECT 1 FROM logged AS l WHERE l.hour_utc = s.hour_utc AND l.model = s.model
        )
    UNION ALL
    SELECT hour_utc, model, requests, output_tokens FROM logged
)
SELECT model, CAST(hour_utc AS DATE) AS day,
       sum(requests) AS requests, sum(output_tokens) AS output_tokens
FROM hours
GROUP BY model, day
ORDER BY model, day;
