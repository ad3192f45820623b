-- Record (or replace) one landing file's ingest: its hash, format and row counts.
INSERT OR REPLACE INTO ingest_manifest (
    source_path, sha256, size_bytes, format, target_table, rows_read, rows_accepted,
    rows_quarantined, min_ts_utc, max_ts_utc, ingested_at, mtime_ns, reader_sha256
) VALUES (
    $source_path, $sha256, $size_bytes, $format, $target_table, $rows_read, $rows_accepted,
    $rows_quarantined, $min_ts_utc, $max_ts_utc, $ingested_at, $mtime_ns, $reader_sha256
);
