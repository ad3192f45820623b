-- Remove one landing file's requests before it is re-read (a changed file replaces its rows).
DELETE FROM raw_requests WHERE source_path = $source_path;
