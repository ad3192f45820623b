-- Allocations of days in [$start, $end) per day and phase: jobs, hosts and GPU-hours held
-- (GPUs on the host × allocated time, each allocation already clipped to its day).
SELECT
    day,
    phase,
    count(DISTINCT job_key) AS jobs,
    count(DISTINCT host) AS hosts,
    sum(gpus_on_host * date_diff('second', start_utc, end_utc) / 3600.0
        ORDER BY job_key, host) AS gpu_hours
FROM job_allocations
WHERE day >= CAST($start AS DATE) AND day < CAST($end AS DATE)
GROUP BY day, phase
ORDER BY day, phase;
