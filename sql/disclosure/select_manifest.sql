-- The input manifest: every landing file ingested, in path order.
SELECT source_path, sha256, size_bytes, format, rows_read, rows_accepted, rows_quarantined
FROM ingest_manifest
ORDER BY source_path;
