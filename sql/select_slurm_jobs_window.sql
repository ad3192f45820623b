-- Job lines (not steps) whose allocation overlaps [$start, $end). A job still running
-- (End=Unknown) overlaps every window after its start.
SELECT source_path, line, job_id, job_name, user_name, account, partition, state,
       start_utc, end_utc, hosts, gpus, comment
FROM raw_slurm_jobs
WHERE step IS NULL
  AND start_utc IS NOT NULL
  AND start_utc < $end
  AND (end_utc IS NULL OR end_utc > $start)
ORDER BY source_path, line;
