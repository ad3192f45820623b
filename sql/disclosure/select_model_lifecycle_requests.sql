-- Requests and output tokens each model served, all history up to $end_day (UTC hours).
SELECT model, sum(requests) AS requests, sum(output_tokens) AS output_tokens
FROM raw_serving
WHERE CAST(hour_utc AS DATE) <= $end_day
GROUP BY model
ORDER BY model;
