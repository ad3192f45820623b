-- UTC days one landing file's Slurm jobs can change: for each job id in the file, from the
-- earliest start to the latest end of any copy of that job (from any file, as the allocation
-- query picks one copy among them), to $until when a copy has no end (a running job holds its
-- nodes in every later window until a finished copy lands and makes it stale there). Steps and
-- pending jobs (no start) are not allocations. Run before a changed file's rows are deleted and
-- after its new rows are inserted.
WITH ids AS (
    SELECT DISTINCT job_id
    FROM raw_slurm_jobs
    WHERE source_path = $source_path AND step IS NULL AND start_utc IS NOT NULL
),
spans AS (
    SELECT
        CAST(min(j.start_utc) AS DATE) AS first_day,
        CASE WHEN bool_or(j.end_utc IS NULL) THEN CAST($until AS DATE)
             ELSE CAST(greatest(min(j.start_utc), max(j.end_utc) - INTERVAL 1 MICROSECOND) AS DATE)
        END AS last_day
    FROM raw_slurm_jobs AS j
    JOIN ids USING (job_id)
    WHERE j.step IS NULL AND j.start_utc IS NOT NULL
    GROUP BY j.job_id
)
SELECT DISTINCT CAST(unnest(generate_series(first_day, last_day, INTERVAL 1 DAY)) AS DATE) AS day
FROM spans
ORDER BY day;
