-- Requests and tokens served per model in days [$start_day, $end_day] (UTC hours).
SELECT model, sum(requests) AS requests, sum(output_tokens) AS output_tokens
FROM raw_serving
WHERE CAST(hour_utc AS DATE) BETWEEN $start_day AND $end_day
GROUP BY model
ORDER BY model;
