-- What the manifest knows of one landing file: hash, size and modification time when read.
SELECT sha256, size_bytes, mtime_ns FROM ingest_manifest WHERE source_path = $source_path;
