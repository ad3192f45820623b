-- Reconcile gpu_energy_attributed with gpu_energy_intervals. Grain: GPU-hour (host × gpu_index ×
-- hour_utc) in [$start, $end) with pieces or attributed rows; allocation estimates (gpu_index
-- NULL) have no pieces and are left to footprint_hourly's reconciliation. One row per quantity:
-- GPU-hours checked, how many differ by more than $atol + $rtol × |pieces|, the largest
-- difference and where, and the window's totals (attributed, pieces).
--  * energy_wh: jobs + idle = the GPU's piece energy (attribution splits pieces, never adds);
--  * gpu_s: GPU-seconds held by jobs + idle = the pieces' seconds;
--  * measured_wh: the measured part = the energy of 'counter' and 'samples' pieces.
WITH pieces AS (
    SELECT
        host, gpu_index, hour_utc,
        sum(energy_wh) AS energy_wh,
        sum(covered_s) AS gpu_s,
        coalesce(sum(energy_wh) FILTER (WHERE source <> 'estimated'), 0.0) AS measured_wh
    FROM gpu_energy_intervals
    WHERE hour_utc >= $start AND hour_utc < $end
    GROUP BY ALL
),
attributed AS (
    SELECT host, gpu_index, hour_utc, sum(energy_wh) AS energy_wh, sum(gpu_s) AS gpu_s,
           sum(measured_wh) AS measured_wh
    FROM gpu_energy_attributed
    WHERE hour_utc >= $start AND hour_utc < $end AND gpu_index IS NOT NULL
    GROUP BY ALL
),
compared AS (
    SELECT
        concat_ws(' ', host, 'GPU', gpu_index, strftime(hour_utc, '%Y-%m-%d %H:00')) AS place,
        unnest([
            {quantity: 'energy_wh', a: coalesce(a.energy_wh, 0.0), b: coalesce(p.energy_wh, 0.0)},
            {quantity: 'gpu_s', a: coalesce(a.gpu_s, 0.0), b: coalesce(p.gpu_s, 0.0)},
            {quantity: 'measured_wh', a: coalesce(a.measured_wh, 0.0),
             b: coalesce(p.measured_wh, 0.0)}
        ], recursive := true)
    FROM attributed AS a
    FULL OUTER JOIN pieces AS p USING (host, gpu_index, hour_utc)
)
SELECT
    quantity, 'gpu_energy_intervals' AS against,
    count(*) AS checked,
    count(*) FILTER (WHERE abs(a - b) > $atol + $rtol * abs(b)) AS failing,
    coalesce(max(abs(a - b)), 0.0) AS worst_abs_diff,
    arg_max(place, abs(a - b)) AS worst_at,
    coalesce(sum(a), 0.0) AS total,
    coalesce(sum(b), 0.0) AS upstream_total
FROM compared
GROUP BY quantity
ORDER BY quantity;
