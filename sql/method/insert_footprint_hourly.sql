-- Footprint per hour × site × job for [$start, $end). Steps (units in names):
--  * IT energy = GPU energy + host overhead. Host overhead per host-hour is the measured node power
--    (mean of the hour's BMC readings) minus the GPUs' mean power when node readings exist, else
--    the server model's configured non-GPU watts; it is shared among the host-hour's rows by
--    GPU-seconds held (GPU-seconds of the whole host = its GPUs × the time it is accounted).
--  * Facility energy = IT × PUE of the site and UTC month.
--  * Location-based carbon: the zone's hourly intensity, else its monthly mean, else the annual
--    factor (intensity_source says which). Hourly = the time-weighted mean of the slots that
--    start in the hour (half-hourly data: the mean of its two slots); a slot read from several
--    files takes one file's value, by precedence (grid_slots; docs/checks-plausibility.md).
--  * Market-based carbon: hourly-matched instruments (profiles) cover the site-hour's facility
--    energy first, pro rata to each row; the rest at the residual mix, else the location
--    intensity (market_basis says which). Annual instruments are applied per reporting period.
--  * Carbon-free energy: matched instrument energy + the grid's carbon-free share of the rest.
--  * Water: on-site IT × WUE, off-site facility × water intensity of the zone's electricity.
--  * Embodied: GPU and server embodied carbon per GPU-hour held.
-- Sums are ordered so a rerun gives identical bits.
INSERT INTO footprint_hourly
WITH rows_in AS (
    SELECT a.*, h.gpus AS host_gpus, h.host_overhead_w AS configured_overhead_w,
           h.embodied_kg_per_gpu_hour, h.server_embodied_kg_per_gpu_hour
    FROM gpu_energy_attributed AS a
    JOIN hosts AS h USING (host)
    WHERE a.hour_utc >= $start AND a.hour_utc < $end
),
host_hours AS (
    SELECT hour_utc, host, host_gpus, configured_overhead_w,
           sum(energy_wh ORDER BY gpu_index, job_key) AS gpu_wh,
           sum(gpu_s ORDER BY gpu_index, job_key) AS gpu_s
    FROM rows_in
    GROUP BY hour_utc, host, host_gpus, configured_overhead_w
),
node_hours AS (
    SELECT host, date_trunc('hour', ts_utc) AS hour_utc,
           avg(node_power_w ORDER BY ts_utc, source_path, line) AS node_w
    FROM raw_node_power
    WHERE ts_utc >= $start AND ts_utc < $end
    GROUP BY ALL
),
overhead AS (
    SELECT
        hh.hour_utc, hh.host,
        n.node_w IS NOT NULL AS measured,
        CASE WHEN n.node_w IS NOT NULL AND hh.gpu_s > 0
             -- GPUs' mean total power over the time the host is accounted for in this hour
             THEN greatest(n.node_w - hh.gpu_wh * 3600.0 * hh.host_gpus / hh.gpu_s, 0.0)
             ELSE hh.configured_overhead_w END / hh.host_gpus AS overhead_w_per_gpu
    FROM host_hours AS hh
    LEFT JOIN node_hours AS n USING (host, hour_utc)
),
attributed AS (
    SELECT
        r.hour_utc, r.site, r.job_key,
        sum(r.gpu_s ORDER BY r.host, r.gpu_index) / 3600.0 AS gpu_hours,
        sum(r.energy_wh ORDER BY r.host, r.gpu_index) / 1000.0 AS gpu_energy_kwh,
        sum(r.gpu_s * o.overhead_w_per_gpu / 3600.0 ORDER BY r.host, r.gpu_index) / 1000.0
            AS host_energy_kwh,
        coalesce(sum(r.gpu_s * o.overhead_w_per_gpu / 3600.0 ORDER BY r.host, r.gpu_index)
            FILTER (WHERE o.measured), 0.0) / 1000.0 AS host_measured_kwh,
        sum(r.measured_wh ORDER BY r.host, r.gpu_index) / 1000.0 AS measured_kwh,
        coalesce(sum(r.energy_wh ORDER BY r.host, r.gpu_index) FILTER (WHERE r.gpu_index IS NULL),
            0.0) / 1000.0 AS scheduler_estimated_kwh,
        sum(r.gpu_s / 3600.0 * r.embodied_kg_per_gpu_hour ORDER BY r.host, r.gpu_index)
            AS embodied_gpu_kg,
        sum(r.gpu_s / 3600.0 * r.server_embodied_kg_per_gpu_hour ORDER BY r.host, r.gpu_index)
            AS embodied_server_kg
    FROM rows_in AS r
    JOIN overhead AS o USING (hour_utc, host)
    GROUP BY r.hour_utc, r.site, r.job_key
),
grid_slots AS (
    -- One value per zone and slot start, from one file: a measured reading wins over an estimated
    -- one (a later download of the same half-hour with its outturn replaces the forecast); among
    -- files of equal standing, the most recently modified (its mtime when ingested), then the one
    -- whose path sorts last. Several rows of that file for the slot are averaged. Files that
    -- disagree are counted by select_grid_conflicts.sql.
    SELECT zone, datetime_utc,
           avg(gco2e_per_kwh_direct ORDER BY line) AS gco2e_per_kwh,
           avg(cfe_pct ORDER BY line) AS cfe_pct,
           bool_and(estimated) AS is_estimated
    FROM (
        SELECT g.*, coalesce(g.is_estimated, false) AS estimated
        FROM raw_grid_intensity AS g
        LEFT JOIN ingest_manifest AS m USING (source_path)
        WHERE g.datetime_utc >= date_trunc('month', $start::TIMESTAMP)
          AND g.datetime_utc < date_trunc('month', $end::TIMESTAMP) + INTERVAL 1 MONTH
          AND g.gco2e_per_kwh_direct IS NOT NULL
        QUALIFY dense_rank() OVER (
            PARTITION BY g.zone, g.datetime_utc
            ORDER BY coalesce(g.is_estimated, false), m.mtime_ns DESC NULLS LAST,
                     g.source_path DESC) = 1
    )
    GROUP BY zone, datetime_utc
),
grid_weighted AS (
    -- A slot lasts until the zone's next slot, cut at the end of its hour, so an hour of
    -- half-hourly (or mixed) slots gets their time-weighted mean.
    SELECT *, date_trunc('hour', datetime_utc) AS hour_utc,
           epoch(least(
               coalesce(lead(datetime_utc) OVER (PARTITION BY zone ORDER BY datetime_utc),
                        date_trunc('hour', datetime_utc) + INTERVAL 1 HOUR),
               date_trunc('hour', datetime_utc) + INTERVAL 1 HOUR) - datetime_utc) AS slot_s
    FROM grid_slots
),
grid_hourly AS (
    -- is_estimated: any slot of the hour was estimated (footprint_hourly has no column for it yet)
    SELECT zone, hour_utc,
           sum(gco2e_per_kwh * slot_s ORDER BY datetime_utc)
               / sum(slot_s ORDER BY datetime_utc) AS gco2e_per_kwh,
           sum(cfe_pct * slot_s ORDER BY datetime_utc) FILTER (WHERE cfe_pct IS NOT NULL)
               / sum(slot_s ORDER BY datetime_utc) FILTER (WHERE cfe_pct IS NOT NULL) AS cfe_pct,
           bool_or(is_estimated) AS is_estimated
    FROM grid_weighted
    WHERE datetime_utc >= $start AND datetime_utc < $end
    GROUP BY zone, hour_utc
),
grid_monthly AS (
    -- the mean of the month's slots
    SELECT zone, date_trunc('month', datetime_utc) AS month_utc,
           avg(gco2e_per_kwh ORDER BY datetime_utc) AS gco2e_per_kwh
    FROM grid_slots
    GROUP BY ALL
),
supply AS (
    -- hourly-matched instruments per site-hour: kWh delivered and their mean emission factor
    SELECT site, hour_utc, sum(kwh ORDER BY name) AS kwh,
           sum(kwh * gco2e_per_kwh ORDER BY name) / nullif(sum(kwh ORDER BY name), 0)
               AS gco2e_per_kwh
    FROM instrument_hours
    WHERE hour_utc >= $start AND hour_utc < $end
    GROUP BY site, hour_utc
),
priced AS (
    SELECT
        a.*,
        a.gpu_energy_kwh + a.host_energy_kwh AS it_energy_kwh,
        coalesce(pm.pue, s.pue) AS pue,
        coalesce(gh.gco2e_per_kwh, gm.gco2e_per_kwh, s.annual_gco2e_per_kwh) AS gco2e_per_kwh,
        CASE WHEN gh.gco2e_per_kwh IS NOT NULL THEN 'hourly'
             WHEN gm.gco2e_per_kwh IS NOT NULL THEN 'monthly_mean'
             ELSE 'annual' END AS intensity_source,
        gh.cfe_pct AS grid_cfe_pct,
        s.residual_mix_gco2e_per_kwh, s.wue_l_per_kwh, s.offsite_water_l_per_kwh,
        coalesce(su.kwh, 0.0) AS supply_kwh,
        coalesce(su.gco2e_per_kwh, 0.0) AS supply_gco2e_per_kwh
    FROM attributed AS a
    JOIN sites AS s USING (site)
    LEFT JOIN site_pue_months AS pm
      ON pm.site = a.site AND pm.month = strftime(a.hour_utc, '%Y-%m')
    LEFT JOIN grid_hourly AS gh ON gh.zone = s.grid_zone AND gh.hour_utc = a.hour_utc
    LEFT JOIN grid_monthly AS gm
      ON gm.zone = s.grid_zone AND gm.month_utc = date_trunc('month', a.hour_utc)
    LEFT JOIN supply AS su ON su.site = a.site AND su.hour_utc = a.hour_utc
),
facility AS (
    SELECT *, it_energy_kwh * pue AS facility_energy_kwh FROM priced
),
matched AS (
    SELECT
        *,
        -- the share of the site-hour's consumption the hour's contracted supply covers
        least(1.0, supply_kwh / nullif(
            sum(facility_energy_kwh) OVER (PARTITION BY site, hour_utc ORDER BY job_key NULLS FIRST
                ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING), 0)) AS matched_share
    FROM facility
)
SELECT
    hour_utc, site, job_key, gpu_hours,
    gpu_energy_kwh, host_energy_kwh, host_measured_kwh, it_energy_kwh,
    measured_kwh, scheduler_estimated_kwh, pue, facility_energy_kwh,
    gco2e_per_kwh, intensity_source,
    facility_energy_kwh * gco2e_per_kwh / 1000.0 AS co2e_kg_location,
    CASE WHEN residual_mix_gco2e_per_kwh IS NULL THEN 'location_factor'
         ELSE 'residual_mix' END AS market_basis,
    facility_energy_kwh * coalesce(matched_share, 0.0) AS instrument_kwh,
    (facility_energy_kwh * coalesce(matched_share, 0.0) * supply_gco2e_per_kwh
     + facility_energy_kwh * (1.0 - coalesce(matched_share, 0.0))
       * coalesce(residual_mix_gco2e_per_kwh, gco2e_per_kwh)) / 1000.0 AS co2e_kg_market,
    facility_energy_kwh * (1.0 - coalesce(matched_share, 0.0))
      * coalesce(residual_mix_gco2e_per_kwh, gco2e_per_kwh) / 1000.0 AS co2e_kg_market_residual,
    grid_cfe_pct,
    facility_energy_kwh * coalesce(matched_share, 0.0)
      + facility_energy_kwh * (1.0 - coalesce(matched_share, 0.0))
        * coalesce(grid_cfe_pct, 0.0) / 100.0 AS cfe_kwh,
    it_energy_kwh * wue_l_per_kwh AS water_onsite_l,
    facility_energy_kwh * offsite_water_l_per_kwh AS water_offsite_l,
    it_energy_kwh * wue_l_per_kwh + facility_energy_kwh * offsite_water_l_per_kwh AS water_l,
    embodied_gpu_kg, embodied_server_kg,
    embodied_gpu_kg + embodied_server_kg AS embodied_kg
FROM matched;
