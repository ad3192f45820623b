-- Lake files holding samples in [$lo, $hi): what the energy pass of a window reads, with the day
-- and bucket it plans units by (pipeline/method/passes.py). Grain: lake file.
SELECT day, bucket, path, rows, min_ts_utc, max_ts_utc
FROM lake_files
WHERE min_ts_utc < $hi AND max_ts_utc >= $lo
ORDER BY day, bucket, path;
