-- What the manifest knows of one landing file: hash, size and modification time when read, and
-- the span of its rows' times.
SELECT sha256, size_bytes, mtime_ns, min_ts_utc, max_ts_utc
FROM ingest_manifest
WHERE source_path = $source_path;
