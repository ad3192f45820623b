-- What the manifest knows of every landing file, fetched once per ingest instead of once per file
-- (a nightly run's lookups must not grow with the history): hash, size and modification time
-- when read, and the fingerprint of the config that reading depended on. Grain: one landing file.
SELECT source_path, sha256, size_bytes, mtime_ns, reader_sha256
FROM ingest_manifest;
