-- Requests and output tokens per model and UTC day in days [$start_day, $end_day].
SELECT model, CAST(hour_utc AS DATE) AS day,
       sum(requests) AS requests, sum(output_tokens) AS output_tokens
FROM raw_serving
WHERE CAST(hour_utc AS DATE) BETWEEN $start_day AND $end_day
GROUP BY model, day
ORDER BY model, day;
