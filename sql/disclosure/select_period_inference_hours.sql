-- Inference footprint per UTC hour × site × model in days [$start_day, $end_day], own boundary
-- (idle is spread on afterwards, pipeline/method/prompts.py). A job takes its phase and model of
-- the day. Energy kWh, carbon kg, water L.
WITH jobs AS (
    SELECT DISTINCT day, job_key, phase, coalesce(model, '') AS model
    FROM job_allocations
    WHERE day BETWEEN $start_day AND $end_day
)
SELECT
    f.hour_utc,
    CAST(f.hour_utc AS DATE) AS day,
    f.site,
    j.model,
    sum(f.gpu_hours ORDER BY f.job_key) AS gpu_hours,
    sum(f.gpu_energy_kwh ORDER BY f.job_key) AS gpu_energy_kwh,
    sum(f.host_energy_kwh ORDER BY f.job_key) AS host_energy_kwh,
    sum(f.it_energy_kwh ORDER BY f.job_key) AS it_energy_kwh,
    sum(f.facility_energy_kwh ORDER BY f.job_key) AS facility_energy_kwh,
    sum(f.co2e_kg_location ORDER BY f.job_key) AS co2e_kg_location,
    sum(f.co2e_kg_market ORDER BY f.job_key) AS co2e_kg_market,
    sum(f.water_l ORDER BY f.job_key) AS water_l
FROM footprint_hourly AS f
JOIN jobs AS j ON j.job_key = f.job_key AND j.day = CAST(f.hour_utc AS DATE)
WHERE j.phase = 'inference'
    AND f.hour_utc >= CAST($start_day AS TIMESTAMP)
    AND f.hour_utc < CAST($end_day AS TIMESTAMP) + INTERVAL 1 DAY
GROUP BY ALL
ORDER BY f.hour_utc, f.site, j.model;
