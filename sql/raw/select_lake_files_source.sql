-- The lake files of one landing file. Grain: lake file.
SELECT path FROM lake_files WHERE source_path = $source_path ORDER BY path;
