-- Per GPU and hour in [$start, $end): GPU energy from the pieces vs the sum attributed to jobs +
-- idle. Returns how many GPU-hours were checked, how many differ by more than $tolerance_wh, and
-- the largest absolute difference (Wh).
WITH measured AS (
    SELECT host, gpu_index, hour_utc, sum(energy_wh) AS wh
    FROM gpu_energy_intervals
    WHERE hour_utc >= $start AND hour_utc < $end
    GROUP BY ALL
),
attributed AS (
    SELECT host, gpu_index, hour_utc, sum(energy_wh) AS wh
    FROM gpu_energy_attributed
    -- allocation estimates (gpu_index NULL) have no GPU energy to conserve
    WHERE hour_utc >= $start AND hour_utc < $end AND gpu_index IS NOT NULL
    GROUP BY ALL
)
SELECT
    count(*) AS checked,
    count(*) FILTER (WHERE abs(coalesce(m.wh, 0) - coalesce(a.wh, 0)) > $tolerance_wh) AS failing,
    coalesce(max(abs(coalesce(m.wh, 0) - coalesce(a.wh, 0))), 0.0) AS worst_abs_diff_wh
FROM measured AS m
FULL OUTER JOIN attributed AS a USING (host, gpu_index, hour_utc);
