-- Every logged request of days [$start_day, $end_day] (UTC), with its hour. Grain: one request.
SELECT
    date_trunc('hour', ts_utc) AS hour_utc,
    model,
    input_tokens,
    output_tokens,
    energy_wh,
    source_path,
    line
FROM raw_requests
WHERE ts_utc >= CAST($start_day AS TIMESTAMP)
    AND ts_utc < CAST($end_day AS TIMESTAMP) + INTERVAL 1 DAY
ORDER BY model, hour_utc, source_path, line;
