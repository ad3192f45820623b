-- How many GPU samples window [$start, $end) holds: what its pieces sort (the samples just outside
-- it that insert_gpu_energy_intervals.sql also reads are a few per GPU), to split a large window
-- into batches of hosts.
SELECT count(*)
FROM raw_gpu_samples
WHERE ts_utc >= $start AND ts_utc < $end;
