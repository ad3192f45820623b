-- UTC days one landing file's declared runs span (their share of each day feeds the reports).
-- A run ending at 00:00 does not touch the day that starts then.
SELECT DISTINCT CAST(unnest(generate_series(
    CAST(start_utc AS DATE),
    CAST(greatest(start_utc, end_utc - INTERVAL 1 MICROSECOND) AS DATE),
    INTERVAL 1 DAY)) AS DATE) AS day
FROM raw_declared_usage
WHERE source_path = $source_path
ORDER BY day;
