-- Job lines (not steps) whose allocation overlaps [$start, $end). A job still running
-- (End=Unknown) overlaps every window after its start, unless another export shows that run
-- finished (the same job id on one of the same hosts, ending after this copy's start): then the
-- running copy is stale, also in windows after the end, where the finished copy is not selected.
SELECT j.source_path, j.line, j.job_id, j.job_name, j.user_name, j.account, j.partition, j.state,
       j.start_utc, j.end_utc, j.hosts, j.gpus, j.comment
FROM raw_slurm_jobs AS j
WHERE j.step IS NULL
  AND j.start_utc IS NOT NULL
  AND j.start_utc < $end
  AND (j.end_utc > $start OR (j.end_utc IS NULL AND NOT EXISTS (
      SELECT 1
      FROM raw_slurm_jobs AS f
      WHERE f.step IS NULL
        AND f.job_id = j.job_id
        AND f.end_utc >= j.start_utc
        AND list_has_any(f.hosts, j.hosts))))
ORDER BY j.source_path, j.line;
