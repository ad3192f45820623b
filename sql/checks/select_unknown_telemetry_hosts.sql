-- Telemetry in [$start, $end) from hosts the inventory does not list. Grain: host. Their samples
-- price no energy (gpu_energy_intervals joins the inventory), so the report names them.
SELECT
    s.host,
    count(*) AS samples,
    count(DISTINCT s.gpu_index) AS gpus,
    min(s.ts_utc) AS first_utc,
    max(s.ts_utc) AS last_utc
FROM raw_gpu_samples AS s
WHERE s.ts_utc >= $start AND s.ts_utc < $end
  AND NOT EXISTS (SELECT 1 FROM hosts AS h WHERE h.host = s.host)
GROUP BY s.host
ORDER BY s.host;
