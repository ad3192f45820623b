-- Pods that held GPUs on an inventory host and overlap [$start, $end), one row per pod
-- incarnation (site, namespace, pod, start_utc). Of several inventory snapshots of one
-- incarnation, a copy with a known end wins, then the latest file. A copy with no end (running
-- when exported) runs until the next incarnation of the same pod name on the site starts (a name
-- is unique in its namespace at any moment; a site is taken to be one cluster), else to the
-- window's end. Not allocations: pending pods (no node or no start), pods holding no GPUs (never
-- the whole node), and finished pods (Succeeded/Failed) whose end no container status recorded.
-- label_phase/model/team: the workload labels of the pod name's latest incarnation on the site,
-- so every allocation of one job_key is classified alike, whichever window computes it.
WITH held AS (
    SELECT p.source_path, p.line, p.namespace, p.pod, p.node, p.gpus, p.start_utc, p.end_utc,
           p.pod_phase, p.phase, p.model, p.team, h.site
    FROM raw_k8s_pods AS p
    JOIN hosts AS h ON h.host = p.node
    WHERE p.start_utc IS NOT NULL
),
incarnations AS (
    SELECT *
    FROM held
    QUALIFY row_number() OVER (
        PARTITION BY site, namespace, pod, start_utc
        ORDER BY end_utc IS NULL, source_path DESC, line DESC) = 1
),
bounded AS (
    SELECT *,
        coalesce(end_utc, lead(start_utc) OVER (
            PARTITION BY site, namespace, pod ORDER BY start_utc)) AS until_utc
    FROM incarnations
),
latest AS (
    SELECT site, namespace, pod,
           phase AS label_phase, model AS label_model, team AS label_team
    FROM incarnations
    QUALIFY row_number() OVER (PARTITION BY site, namespace, pod ORDER BY start_utc DESC) = 1
)
SELECT b.source_path, b.line, b.namespace, b.pod, b.node, b.gpus, b.start_utc,
       b.until_utc AS end_utc, b.pod_phase, l.label_phase, l.label_model, l.label_team
FROM bounded AS b
JOIN latest AS l USING (site, namespace, pod)
WHERE b.gpus > 0
  AND NOT (b.end_utc IS NULL AND b.pod_phase IN ('Succeeded', 'Failed'))
  AND b.start_utc < $end
  AND (b.until_utc IS NULL OR b.until_utc > $start)
ORDER BY b.namespace, b.pod, b.start_utc, b.source_path, b.line;
