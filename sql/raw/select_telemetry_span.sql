-- First and last UTC day of ingested GPU telemetry (the default range of `wattprint run`).
SELECT CAST(min(min_ts_utc) AS DATE), CAST(max(max_ts_utc) AS DATE)
FROM ingest_manifest
WHERE target_table = 'raw_gpu_samples';
