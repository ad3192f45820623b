-- Facility energy (IT × PUE of the site and UTC month), location-based carbon from the zone's
-- hourly intensity (falling back to the zone's monthly mean, then the configured annual factor),
-- market-based carbon, on-site water (IT × WUE) and embodied carbon per GPU-hour held.
-- Sums are ordered so a rerun gives identical bits.
INSERT INTO footprint_hourly
WITH attributed AS (
    SELECT
        a.hour_utc, a.site, a.job_key,
        sum(a.gpu_s ORDER BY a.host, a.gpu_index) / 3600.0 AS gpu_hours,
        sum(a.energy_wh ORDER BY a.host, a.gpu_index) / 1000.0 AS it_energy_kwh,
        sum(a.measured_wh ORDER BY a.host, a.gpu_index) / 1000.0 AS measured_kwh,
        sum(a.gpu_s / 3600.0 * h.embodied_kg_per_gpu_hour ORDER BY a.host, a.gpu_index)
            AS embodied_kg
    FROM gpu_energy_attributed AS a
    JOIN hosts AS h USING (host)
    WHERE a.hour_utc >= $start AND a.hour_utc < $end
    GROUP BY a.hour_utc, a.site, a.job_key
),
grid_hourly AS (
    SELECT zone, date_trunc('hour', datetime_utc) AS hour_utc,
           avg(gco2e_per_kwh_direct ORDER BY datetime_utc, source_path) AS gco2e_per_kwh
    FROM raw_grid_intensity
    WHERE datetime_utc >= $start AND datetime_utc < $end AND gco2e_per_kwh_direct IS NOT NULL
    GROUP BY ALL
),
grid_monthly AS (
    SELECT zone, date_trunc('month', datetime_utc) AS month_utc,
           avg(gco2e_per_kwh_direct ORDER BY datetime_utc, source_path) AS gco2e_per_kwh
    FROM raw_grid_intensity
    WHERE datetime_utc >= date_trunc('month', $start::TIMESTAMP)
      AND datetime_utc < date_trunc('month', $end::TIMESTAMP) + INTERVAL 1 MONTH
      AND gco2e_per_kwh_direct IS NOT NULL
    GROUP BY ALL
),
priced AS (
    SELECT
        a.*,
        coalesce(pm.pue, s.pue) AS pue,
        coalesce(gh.gco2e_per_kwh, gm.gco2e_per_kwh, s.annual_gco2e_per_kwh) AS gco2e_per_kwh,
        CASE WHEN gh.gco2e_per_kwh IS NOT NULL THEN 'hourly'
             WHEN gm.gco2e_per_kwh IS NOT NULL THEN 'monthly_mean'
             ELSE 'annual' END AS intensity_source,
        s.residual_mix_gco2e_per_kwh, s.wue_l_per_kwh
    FROM attributed AS a
    JOIN sites AS s USING (site)
    LEFT JOIN site_pue_months AS pm
      ON pm.site = a.site AND pm.month = strftime(a.hour_utc, '%Y-%m')
    LEFT JOIN grid_hourly AS gh ON gh.zone = s.grid_zone AND gh.hour_utc = a.hour_utc
    LEFT JOIN grid_monthly AS gm
      ON gm.zone = s.grid_zone AND gm.month_utc = date_trunc('month', a.hour_utc)
)
SELECT
    hour_utc, site, job_key, gpu_hours, it_energy_kwh, measured_kwh, pue,
    it_energy_kwh * pue AS facility_energy_kwh,
    gco2e_per_kwh, intensity_source,
    it_energy_kwh * pue * gco2e_per_kwh / 1000.0 AS co2e_kg_location,
    CASE WHEN residual_mix_gco2e_per_kwh IS NULL THEN 'location_factor'
         ELSE 'residual_mix' END AS market_basis,
    it_energy_kwh * pue * coalesce(residual_mix_gco2e_per_kwh, gco2e_per_kwh) / 1000.0
        AS co2e_kg_market,
    it_energy_kwh * wue_l_per_kwh AS water_l,
    embodied_kg
FROM priced;
