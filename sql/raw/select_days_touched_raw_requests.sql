-- UTC days of one landing file's requests (they feed the reports' per-prompt figures).
SELECT DISTINCT CAST(ts_utc AS DATE) AS day
FROM raw_requests
WHERE source_path = $source_path
ORDER BY day;
