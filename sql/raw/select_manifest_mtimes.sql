-- Each landing file's modification time when ingested: the precedence between two files holding
-- the same GPU sample (pipeline/method/pieces.py). Grain: landing file.
SELECT source_path, mtime_ns FROM ingest_manifest ORDER BY source_path;
