-- Workloads the GPU telemetry names itself (raw_gpu_samples.workload: a Slurm job id, or a pod as
-- '<namespace>/<pod>') on a host where no scheduler record allocates them, overlapping
-- [$start, $end). One row per host × workload, from its first labelled sample on the host to the
-- end of its last labelled interval (the GPU's next sample, which closes the interval the label
-- covers; the labelled sample's own time when none follows), over all telemetry (so every window
-- sees the same span); gpus = the distinct GPUs that
-- carried the label. Allocated means: a sacct job line (not a step) with that job id, started,
-- listing the host and holding GPUs (or not saying how many), or a started pod of that name on
-- the host holding GPUs.
WITH labelled_gpus AS (
    SELECT DISTINCT host, gpu_index FROM raw_gpu_samples WHERE workload IS NOT NULL
),
stepped AS (
    SELECT s.host, s.gpu_index, s.workload, s.ts_utc,
           lead(s.ts_utc) OVER (PARTITION BY s.host, s.gpu_index ORDER BY s.ts_utc) AS next_ts
    FROM raw_gpu_samples AS s
    SEMI JOIN labelled_gpus AS g ON g.host = s.host AND g.gpu_index = s.gpu_index
),
labelled AS (
    SELECT host, workload, min(ts_utc) AS start_utc,
           max(greatest(ts_utc, coalesce(next_ts, ts_utc))) AS end_utc,
           count(DISTINCT gpu_index) AS gpus
    FROM stepped
    WHERE workload IS NOT NULL
    GROUP BY host, workload
)
SELECT l.host, l.workload, l.start_utc, l.end_utc, l.gpus
FROM labelled AS l
WHERE l.start_utc < $end
  AND l.end_utc > $start
  AND NOT EXISTS (
      SELECT 1
      FROM raw_k8s_pods AS p
      WHERE p.node = l.host
        AND p.namespace || '/' || p.pod = l.workload
        AND p.start_utc IS NOT NULL
        AND p.gpus > 0)
  AND NOT EXISTS (
      SELECT 1
      FROM raw_slurm_jobs AS j
      WHERE j.step IS NULL
        AND j.job_id = l.workload
        AND list_contains(j.hosts, l.host)
        AND j.start_utc IS NOT NULL
        AND (j.gpus IS NULL OR j.gpus > 0))
ORDER BY l.host, l.workload;
