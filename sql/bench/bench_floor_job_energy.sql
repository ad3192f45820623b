-- The benchmark's floor (benchmarks/baselines.py): GPU energy per job in one query over the
-- telemetry Parquet files $files and a registered `allocations` relation (job_key, host,
-- gpus_on_host, start_utc, end_utc). Consecutive samples of a GPU make an interval (trapezoid
-- power); each interval is clipped to every allocation overlapping it on its host and shared by
-- gpus_on_host / $host_gpus.
WITH intervals AS (
    SELECT
        host, ts_utc AS t0, lead(ts_utc) OVER w AS t1,
        power_w AS p0, lead(power_w) OVER w AS p1
    FROM read_parquet($files)
    WINDOW w AS (PARTITION BY host, gpu_index ORDER BY ts_utc)
)
SELECT
    a.job_key,
    sum(epoch(least(i.t1, a.end_utc) - greatest(i.t0, a.start_utc)) * (i.p0 + i.p1) / 2.0
        / 3600.0 * a.gpus_on_host / $host_gpus) AS energy_wh
FROM intervals AS i
JOIN allocations AS a
  ON a.host = i.host AND a.start_utc < i.t1 AND a.end_utc > i.t0
GROUP BY a.job_key;
