-- GPU-sample conflicts in [$start, $end): samples (host × gpu_index × ts_utc) for which two files
-- give different readings (power, utilisation or energy counter). Grain: one count. Only GPUs with
-- two files whose sample spans overlap can have one, so only those spans are compared; the same
-- readings from several files are no conflict. Precedence resolves each
-- (pipeline/method/pieces.py, samples).
WITH spans AS (
    SELECT host, gpu_index, source_path, min(ts_utc) AS lo, max(ts_utc) AS hi
    FROM raw_gpu_samples
    WHERE ts_utc >= $start AND ts_utc < $end
    GROUP BY host, gpu_index, source_path
),
shared_spans AS (
    SELECT DISTINCT a.host, a.gpu_index, greatest(a.lo, b.lo) AS lo, least(a.hi, b.hi) AS hi
    FROM spans AS a
    JOIN spans AS b
      ON b.host = a.host AND b.gpu_index = a.gpu_index AND b.source_path > a.source_path
     AND b.lo <= a.hi AND a.lo <= b.hi
),
readings AS (
    SELECT DISTINCT s.host, s.gpu_index, s.ts_utc, s.source_path, s.power_w, s.util_pct,
           s.energy_mj
    FROM raw_gpu_samples AS s
    JOIN shared_spans AS o
      ON o.host = s.host AND o.gpu_index = s.gpu_index AND s.ts_utc BETWEEN o.lo AND o.hi
    WHERE s.ts_utc >= $start AND s.ts_utc < $end
)
SELECT count(*) AS conflicts
FROM (
    SELECT host, gpu_index, ts_utc
    FROM readings
    GROUP BY host, gpu_index, ts_utc
    HAVING count(DISTINCT source_path) > 1
       AND count(DISTINCT (power_w, util_pct, energy_mj)) > 1
);
