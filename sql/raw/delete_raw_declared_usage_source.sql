-- Remove one landing file's rows before it is re-read (a changed file replaces its rows).
DELETE FROM raw_declared_usage WHERE source_path = $source_path;
