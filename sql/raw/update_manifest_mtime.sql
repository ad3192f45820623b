-- A landing file touched but not changed (same SHA-256): remember its new modification time.
UPDATE ingest_manifest SET mtime_ns = $mtime_ns WHERE source_path = $source_path;
