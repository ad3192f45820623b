-- UTC days of one landing file's node power readings (footprint_hourly averages the readings of
-- each host-hour).
SELECT DISTINCT CAST(ts_utc AS DATE) AS day
FROM raw_node_power
WHERE source_path = $source_path
ORDER BY day;
