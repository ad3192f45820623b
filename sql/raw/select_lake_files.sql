-- Every lake file that counts, in a stable order (the raw_gpu_samples view reads them). Grain:
-- lake file.
SELECT path FROM lake_files ORDER BY day, bucket, path;
