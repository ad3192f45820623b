-- Reconcile footprint_hourly with gpu_energy_attributed, hosts and raw_node_power. Grain: hour ×
-- site × job (job_key NULL = idle) in [$start, $end), every group either table has. One row per
-- quantity: groups checked, how many differ by more than $atol + $rtol × |expected|, the largest
-- difference and where, and the window's totals (footprint, recomputed from the attributed rows).
--  * gpu_hours, gpu_energy_kwh, measured_kwh, scheduler_estimated_kwh: sums of the attributed
--    rows (GPU-seconds / 3600, Wh / 1000; the estimate is the rows with gpu_index NULL);
--  * embodied_gpu_kg, embodied_server_kg: GPU-hours held × the host's embodied kg per GPU-hour;
--  * host_energy_kwh, host_measured_kwh: GPU-seconds held × the host-hour's overhead per GPU:
--    (mean node power − the GPUs' mean power) / GPUs where the host-hour has node readings (never
--    below 0), else the configured non-GPU watts / GPUs (insert_footprint_hourly.sql).
WITH rows_in AS (
    SELECT a.hour_utc, a.site, a.host, a.job_key, a.gpu_index, a.energy_wh, a.gpu_s,
           a.measured_wh, h.gpus, h.host_overhead_w, h.embodied_kg_per_gpu_hour,
           h.server_embodied_kg_per_gpu_hour
    FROM gpu_energy_attributed AS a
    JOIN hosts AS h USING (host)
    WHERE a.hour_utc >= $start AND a.hour_utc < $end
),
node_hours AS (
    SELECT host, date_trunc('hour', ts_utc) AS hour_utc, avg(node_power_w) AS node_w
    FROM raw_node_power
    WHERE ts_utc >= $start AND ts_utc < $end
    GROUP BY ALL
),
per_gpu AS (
    -- overhead W per GPU of each host-hour
    SELECT r.hour_utc, r.host, n.node_w IS NOT NULL AS node_read,
           CASE WHEN n.node_w IS NOT NULL AND sum(r.gpu_s) > 0
                THEN greatest(n.node_w - sum(r.energy_wh) * 3600.0 * any_value(r.gpus)
                              / sum(r.gpu_s), 0.0)
                ELSE any_value(r.host_overhead_w) END / any_value(r.gpus) AS w
    FROM rows_in AS r
    LEFT JOIN node_hours AS n USING (host, hour_utc)
    GROUP BY r.hour_utc, r.host, n.node_w
),
expected AS (
    SELECT
        r.hour_utc, r.site, coalesce(r.job_key, chr(0)) AS job,
        sum(r.gpu_s) / 3600.0 AS gpu_hours,
        sum(r.energy_wh) / 1000.0 AS gpu_energy_kwh,
        sum(r.measured_wh) / 1000.0 AS measured_kwh,
        coalesce(sum(r.energy_wh) FILTER (WHERE r.gpu_index IS NULL), 0.0) / 1000.0
            AS scheduler_estimated_kwh,
        sum(r.gpu_s * o.w) / 3.6e6 AS host_energy_kwh,
        coalesce(sum(r.gpu_s * o.w) FILTER (WHERE o.node_read), 0.0) / 3.6e6 AS host_measured_kwh,
        sum(r.gpu_s * r.embodied_kg_per_gpu_hour) / 3600.0 AS embodied_gpu_kg,
        sum(r.gpu_s * r.server_embodied_kg_per_gpu_hour) / 3600.0 AS embodied_server_kg
    FROM rows_in AS r
    JOIN per_gpu AS o USING (hour_utc, host)
    GROUP BY ALL
),
footprint AS (
    SELECT hour_utc, site, coalesce(job_key, chr(0)) AS job, gpu_hours, gpu_energy_kwh,
           measured_kwh, scheduler_estimated_kwh, host_energy_kwh, host_measured_kwh,
           embodied_gpu_kg, embodied_server_kg
    FROM footprint_hourly
    WHERE hour_utc >= $start AND hour_utc < $end
),
compared AS (
    SELECT
        concat_ws(' ', strftime(hour_utc, '%Y-%m-%d %H:00'), site,
                  CASE WHEN job = chr(0) THEN 'idle' ELSE job END) AS place,
        unnest([
            {quantity: 'gpu_hours', a: f.gpu_hours, b: e.gpu_hours},
            {quantity: 'gpu_energy_kwh', a: f.gpu_energy_kwh, b: e.gpu_energy_kwh},
            {quantity: 'measured_kwh', a: f.measured_kwh, b: e.measured_kwh},
            {quantity: 'scheduler_estimated_kwh', a: f.scheduler_estimated_kwh,
             b: e.scheduler_estimated_kwh},
            {quantity: 'host_energy_kwh', a: f.host_energy_kwh, b: e.host_energy_kwh},
            {quantity: 'host_measured_kwh', a: f.host_measured_kwh, b: e.host_measured_kwh},
            {quantity: 'embodied_gpu_kg', a: f.embodied_gpu_kg, b: e.embodied_gpu_kg},
            {quantity: 'embodied_server_kg', a: f.embodied_server_kg, b: e.embodied_server_kg}
        ], recursive := true)
    FROM footprint AS f
    FULL OUTER JOIN expected AS e USING (hour_utc, site, job)
)
SELECT
    quantity, 'gpu_energy_attributed' AS against,
    count(*) AS checked,
    count(*) FILTER (WHERE abs(coalesce(a, 0.0) - coalesce(b, 0.0))
                           > $atol + $rtol * abs(coalesce(b, 0.0))) AS failing,
    coalesce(max(abs(coalesce(a, 0.0) - coalesce(b, 0.0))), 0.0) AS worst_abs_diff,
    arg_max(place, abs(coalesce(a, 0.0) - coalesce(b, 0.0))) AS worst_at,
    coalesce(sum(a), 0.0) AS total,
    coalesce(sum(b), 0.0) AS upstream_total
FROM compared
GROUP BY quantity
ORDER BY quantity;
