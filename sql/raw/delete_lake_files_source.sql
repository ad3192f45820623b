-- Forget one landing file's lake files (a changed file replaces them; the files are removed after
-- the transaction commits).
DELETE FROM lake_files WHERE source_path = $source_path;
