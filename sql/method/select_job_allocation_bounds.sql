-- When each allocation overlapping [$start, $end) holds its host: the boundaries the energy pass
-- merges pieces between (pipeline/method/runs.py). Grain: allocation (job × host).
SELECT host, start_utc, end_utc
FROM job_allocations
WHERE start_utc < $end AND end_utc > $start
ORDER BY host, start_utc, end_utc;
