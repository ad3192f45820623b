-- UTC days of one landing file's serving hours (they feed the reports).
SELECT DISTINCT CAST(hour_utc AS DATE) AS day
FROM raw_serving
WHERE source_path = $source_path
ORDER BY day;
