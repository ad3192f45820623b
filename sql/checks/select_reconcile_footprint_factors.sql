-- Recompute each footprint_hourly row from its own energy and the factors it was priced with.
-- Grain: footprint row (hour × site × job) in [$start, $end). One row per quantity: rows checked,
-- how many differ by more than $atol + $rtol × |expected|, the largest difference and where, and
-- the window's totals (as stored, as recomputed).
--  * it_energy_kwh = GPU + host energy; pue = the site's PUE for the month (site_pue_months, else
--    sites); facility_energy_kwh = IT × PUE;
--  * gco2e_per_kwh: 'hourly' lies within the zone's grid readings that start in the hour (their
--    time-weighted mean), 'monthly_mean' within the month's, 'annual' is the site's factor;
--    co2e_kg_location = facility × that intensity / 1000 (the stored one clamped to its readings);
--  * instrument_kwh = facility × the share of the site-hour's facility energy its hourly
--    instruments cover (at most all of it); co2e_kg_market_residual = (facility − instrument) ×
--    (residual mix, else intensity) / 1000; co2e_kg_market = residual + instrument × the
--    instruments' kWh-weighted factor / 1000;
--  * grid_cfe_pct within the hour's grid readings; cfe_kwh = instrument + (facility − instrument)
--    × grid CFE % / 100;
--  * water_onsite_l = IT × WUE, water_offsite_l = facility × off-site water, water_l their sum;
--  * embodied_kg = GPU + server embodied.
WITH f AS (
    SELECT *, sum(facility_energy_kwh) OVER (PARTITION BY site, hour_utc) AS site_hour_kwh
    FROM footprint_hourly
    WHERE hour_utc >= $start AND hour_utc < $end
),
grid AS (
    SELECT zone, date_trunc('hour', datetime_utc) AS hour_utc,
           min(gco2e_per_kwh_direct) AS lo, max(gco2e_per_kwh_direct) AS hi,
           min(cfe_pct) AS cfe_lo, max(cfe_pct) AS cfe_hi
    FROM raw_grid_intensity
    WHERE datetime_utc >= date_trunc('month', $start::TIMESTAMP)
      AND datetime_utc < date_trunc('month', $end::TIMESTAMP) + INTERVAL 1 MONTH
      AND gco2e_per_kwh_direct IS NOT NULL
    GROUP BY ALL
),
grid_months AS (
    SELECT zone, date_trunc('month', hour_utc) AS month_utc, min(lo) AS lo, max(hi) AS hi
    FROM grid
    GROUP BY ALL
),
supply AS (
    SELECT site, hour_utc, sum(kwh) AS kwh, sum(kwh * gco2e_per_kwh) / nullif(sum(kwh), 0) AS g
    FROM instrument_hours
    WHERE hour_utc >= $start AND hour_utc < $end
    GROUP BY ALL
),
priced AS (
    SELECT
        f.*,
        coalesce(pm.pue, s.pue) AS site_pue,
        CASE f.intensity_source
            WHEN 'hourly' THEN CASE WHEN gh.lo IS NOT NULL
                                    THEN least(greatest(f.gco2e_per_kwh, gh.lo), gh.hi) END
            WHEN 'monthly_mean' THEN CASE WHEN gm.lo IS NOT NULL
                                          THEN least(greatest(f.gco2e_per_kwh, gm.lo), gm.hi) END
            WHEN 'annual' THEN s.annual_gco2e_per_kwh
        END AS intensity,
        -- (least and greatest skip NULLs: a missing bound is tested for first)
        CASE WHEN f.grid_cfe_pct IS NULL THEN 0.0
             WHEN gh.cfe_lo IS NOT NULL
                 THEN least(greatest(f.grid_cfe_pct, gh.cfe_lo), gh.cfe_hi) END AS cfe_pct,
        f.facility_energy_kwh
            * coalesce(least(1.0, coalesce(su.kwh, 0.0) / nullif(f.site_hour_kwh, 0)), 0.0)
            AS matched_kwh,
        coalesce(su.g, 0.0) AS supply_g,
        s.residual_mix_gco2e_per_kwh,
        s.wue_l_per_kwh, s.offsite_water_l_per_kwh
    FROM f
    JOIN sites AS s USING (site)
    LEFT JOIN site_pue_months AS pm ON pm.site = f.site AND pm.month = strftime(f.hour_utc, '%Y-%m')
    LEFT JOIN grid AS gh ON gh.zone = s.grid_zone AND gh.hour_utc = f.hour_utc
    LEFT JOIN grid_months AS gm
      ON gm.zone = s.grid_zone AND gm.month_utc = date_trunc('month', f.hour_utc)
    LEFT JOIN supply AS su ON su.site = f.site AND su.hour_utc = f.hour_utc
),
compared AS (
    SELECT
        concat_ws(' ', strftime(hour_utc, '%Y-%m-%d %H:00'), site, coalesce(job_key, 'idle'))
            AS place,
        unnest([
            {quantity: 'it_energy_kwh', against: 'gpu_energy_kwh + host_energy_kwh',
             a: it_energy_kwh, b: gpu_energy_kwh + host_energy_kwh},
            {quantity: 'pue', against: 'sites / site_pue_months', a: pue, b: site_pue},
            {quantity: 'facility_energy_kwh', against: 'it_energy_kwh × pue',
             a: facility_energy_kwh, b: it_energy_kwh * pue},
            {quantity: 'gco2e_per_kwh', against: 'raw_grid_intensity / sites',
             a: gco2e_per_kwh, b: intensity},
            {quantity: 'co2e_kg_location', against: 'facility_energy_kwh × gco2e_per_kwh',
             a: co2e_kg_location,
             b: facility_energy_kwh * coalesce(intensity, gco2e_per_kwh) / 1000.0},
            {quantity: 'instrument_kwh', against: 'instrument_hours',
             a: instrument_kwh, b: matched_kwh},
            {quantity: 'co2e_kg_market_residual',
             against: '(facility − instrument) × residual mix',
             a: co2e_kg_market_residual,
             b: (facility_energy_kwh - instrument_kwh)
                * coalesce(residual_mix_gco2e_per_kwh, intensity, gco2e_per_kwh) / 1000.0},
            {quantity: 'co2e_kg_market', against: 'residual + instrument × instrument factor',
             a: co2e_kg_market,
             b: co2e_kg_market_residual + instrument_kwh * supply_g / 1000.0},
            {quantity: 'grid_cfe_pct', against: 'raw_grid_intensity',
             a: coalesce(grid_cfe_pct, 0.0), b: cfe_pct},
            {quantity: 'cfe_kwh', against: 'instrument + (facility − instrument) × grid CFE %',
             a: cfe_kwh, b: instrument_kwh + (facility_energy_kwh - instrument_kwh)
                                             * coalesce(grid_cfe_pct, 0.0) / 100.0},
            {quantity: 'water_onsite_l', against: 'it_energy_kwh × WUE',
             a: water_onsite_l, b: it_energy_kwh * wue_l_per_kwh},
            {quantity: 'water_offsite_l', against: 'facility_energy_kwh × off-site water',
             a: water_offsite_l, b: facility_energy_kwh * offsite_water_l_per_kwh},
            {quantity: 'water_l', against: 'water_onsite_l + water_offsite_l',
             a: water_l, b: water_onsite_l + water_offsite_l},
            {quantity: 'embodied_kg', against: 'embodied_gpu_kg + embodied_server_kg',
             a: embodied_kg, b: embodied_gpu_kg + embodied_server_kg}
        ], recursive := true)
    FROM priced
)
SELECT
    quantity, any_value(against) AS against,
    count(*) AS checked,
    count(*) FILTER (WHERE b IS NULL OR abs(a - b) > $atol + $rtol * abs(b)) AS failing,
    coalesce(max(coalesce(abs(a - b), abs(a))), 0.0) AS worst_abs_diff,
    arg_max(place, coalesce(abs(a - b), abs(a))) AS worst_at,
    coalesce(sum(a), 0.0) AS total,
    coalesce(sum(b), 0.0) AS upstream_total
FROM compared
GROUP BY quantity
ORDER BY quantity;
