-- What the manifest knows of one landing file: hash, size and modification time when read, and
-- the fingerprint of the config that reading depended on. Grain: one landing file.
SELECT sha256, size_bytes, mtime_ns, reader_sha256
FROM ingest_manifest
WHERE source_path = $source_path;
