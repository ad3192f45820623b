-- Attributed GPU energy of hours in [$start, $end) per UTC day and kind: 'job' (measured GPUs held
-- by a job), 'idle' (provisioned, unallocated), 'scheduler_estimated' (an allocation on a host
-- without telemetry). GPU-hours, energy and its measured part in kWh.
SELECT
    CAST(hour_utc AS DATE) AS day,
    CASE
        WHEN gpu_index IS NULL THEN 'scheduler_estimated'
        WHEN job_key IS NULL THEN 'idle'
        ELSE 'job'
    END AS kind,
    count(DISTINCT job_key) AS jobs,
    sum(gpu_s ORDER BY host, gpu_index, hour_utc, job_key) / 3600.0 AS gpu_hours,
    sum(energy_wh ORDER BY host, gpu_index, hour_utc, job_key) / 1000.0 AS energy_kwh,
    sum(measured_wh ORDER BY host, gpu_index, hour_utc, job_key) / 1000.0 AS measured_kwh
FROM gpu_energy_attributed
WHERE hour_utc >= $start AND hour_utc < $end
GROUP BY day, kind
ORDER BY day, kind;
