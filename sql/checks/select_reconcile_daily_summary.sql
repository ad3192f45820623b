-- Reconcile daily_summary with footprint_hourly. Grain: UTC day × site × idle or not (phase
-- 'idle' is footprint_hourly's job_key NULL) for days in [$start, $end), every group either table
-- has. Each additive column is the sum of the day's hourly rows (the *_fallback columns: of rows
-- priced with a fallback intensity, intensity_source not 'hourly'), and jobs is the number of
-- distinct jobs, which a job counted in two phase/model/team rows would exceed. One row per
-- quantity: groups checked, how many differ by more than $atol + $rtol × |footprint|, the largest
-- difference and where, and the window's totals (daily_summary, footprint_hourly).
WITH f AS (
    SELECT
        CAST(hour_utc AS DATE) AS day, site, job_key IS NULL AS idle,
        count(DISTINCT job_key) AS jobs,
        sum(gpu_hours) AS gpu_hours,
        sum(gpu_energy_kwh) AS gpu_energy_kwh,
        sum(host_energy_kwh) AS host_energy_kwh,
        sum(host_measured_kwh) AS host_measured_kwh,
        sum(it_energy_kwh) AS it_energy_kwh,
        sum(measured_kwh) AS measured_kwh,
        sum(scheduler_estimated_kwh) AS scheduler_estimated_kwh,
        sum(facility_energy_kwh) AS facility_energy_kwh,
        coalesce(sum(facility_energy_kwh) FILTER (WHERE intensity_source <> 'hourly'), 0.0)
            AS fallback_facility_kwh,
        sum(co2e_kg_location) AS co2e_kg_location,
        coalesce(sum(co2e_kg_location) FILTER (WHERE intensity_source <> 'hourly'), 0.0)
            AS co2e_kg_location_fallback,
        sum(instrument_kwh) AS instrument_kwh,
        sum(co2e_kg_market) AS co2e_kg_market,
        sum(co2e_kg_market_residual) AS co2e_kg_market_residual,
        coalesce(sum(co2e_kg_market) FILTER (WHERE intensity_source <> 'hourly'), 0.0)
            AS co2e_kg_market_fallback,
        sum(cfe_kwh) AS cfe_kwh,
        sum(water_onsite_l) AS water_onsite_l,
        sum(water_offsite_l) AS water_offsite_l,
        sum(water_l) AS water_l,
        sum(embodied_gpu_kg) AS embodied_gpu_kg,
        sum(embodied_server_kg) AS embodied_server_kg,
        sum(embodied_kg) AS embodied_kg
    FROM footprint_hourly
    WHERE hour_utc >= $start AND hour_utc < $end
    GROUP BY ALL
),
d AS (
    SELECT
        day, site, phase = 'idle' AS idle, sum(jobs) AS jobs,
        sum(gpu_hours) AS gpu_hours,
        sum(gpu_energy_kwh) AS gpu_energy_kwh,
        sum(host_energy_kwh) AS host_energy_kwh,
        sum(host_measured_kwh) AS host_measured_kwh,
        sum(it_energy_kwh) AS it_energy_kwh,
        sum(measured_kwh) AS measured_kwh,
        sum(scheduler_estimated_kwh) AS scheduler_estimated_kwh,
        sum(facility_energy_kwh) AS facility_energy_kwh,
        sum(fallback_facility_kwh) AS fallback_facility_kwh,
        sum(co2e_kg_location) AS co2e_kg_location,
        sum(co2e_kg_location_fallback) AS co2e_kg_location_fallback,
        sum(instrument_kwh) AS instrument_kwh,
        sum(co2e_kg_market) AS co2e_kg_market,
        sum(co2e_kg_market_residual) AS co2e_kg_market_residual,
        sum(co2e_kg_market_fallback) AS co2e_kg_market_fallback,
        sum(cfe_kwh) AS cfe_kwh,
        sum(water_onsite_l) AS water_onsite_l,
        sum(water_offsite_l) AS water_offsite_l,
        sum(water_l) AS water_l,
        sum(embodied_gpu_kg) AS embodied_gpu_kg,
        sum(embodied_server_kg) AS embodied_server_kg,
        sum(embodied_kg) AS embodied_kg
    FROM daily_summary
    WHERE day >= CAST($start AS DATE) AND day < CAST($end AS DATE)
    GROUP BY ALL
),
compared AS (
    SELECT
        concat_ws(' ', day, site, CASE WHEN idle THEN 'idle' ELSE 'jobs' END) AS place,
        unnest([
            {quantity: 'gpu_hours', a: d.gpu_hours, b: f.gpu_hours},
            {quantity: 'gpu_energy_kwh', a: d.gpu_energy_kwh, b: f.gpu_energy_kwh},
            {quantity: 'host_energy_kwh', a: d.host_energy_kwh, b: f.host_energy_kwh},
            {quantity: 'host_measured_kwh', a: d.host_measured_kwh, b: f.host_measured_kwh},
            {quantity: 'it_energy_kwh', a: d.it_energy_kwh, b: f.it_energy_kwh},
            {quantity: 'measured_kwh', a: d.measured_kwh, b: f.measured_kwh},
            {quantity: 'scheduler_estimated_kwh', a: d.scheduler_estimated_kwh, b: f.scheduler_estimated_kwh},
            {quantity: 'facility_energy_kwh', a: d.facility_energy_kwh, b: f.facility_energy_kwh},
            {quantity: 'fallback_facility_kwh', a: d.fallback_facility_kwh, b: f.fallback_facility_kwh},
            {quantity: 'co2e_kg_location', a: d.co2e_kg_location, b: f.co2e_kg_location},
            {quantity: 'co2e_kg_location_fallback', a: d.co2e_kg_location_fallback, b: f.co2e_kg_location_fallback},
            {quantity: 'instrument_kwh', a: d.instrument_kwh, b: f.instrument_kwh},
            {quantity: 'co2e_kg_market', a: d.co2e_kg_market, b: f.co2e_kg_market},
            {quantity: 'co2e_kg_market_residual', a: d.co2e_kg_market_residual, b: f.co2e_kg_market_residual},
            {quantity: 'co2e_kg_market_fallback', a: d.co2e_kg_market_fallback, b: f.co2e_kg_market_fallback},
            {quantity: 'cfe_kwh', a: d.cfe_kwh, b: f.cfe_kwh},
            {quantity: 'water_onsite_l', a: d.water_onsite_l, b: f.water_onsite_l},
            {quantity: 'water_offsite_l', a: d.water_offsite_l, b: f.water_offsite_l},
            {quantity: 'water_l', a: d.water_l, b: f.water_l},
            {quantity: 'embodied_gpu_kg', a: d.embodied_gpu_kg, b: f.embodied_gpu_kg},
            {quantity: 'embodied_server_kg', a: d.embodied_server_kg, b: f.embodied_server_kg},
            {quantity: 'embodied_kg', a: d.embodied_kg, b: f.embodied_kg},
            {quantity: 'jobs', a: d.jobs, b: f.jobs}
        ], recursive := true)
    FROM d
    FULL OUTER JOIN f USING (day, site, idle)
)
SELECT
    quantity, 'footprint_hourly' AS against,
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
