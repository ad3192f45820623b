-- The first and last row time of landing files $source_paths, as the manifest recorded them.
SELECT min(min_ts_utc), max(max_ts_utc)
FROM ingest_manifest
WHERE list_contains($source_paths, source_path);
