-- Roll the hourly footprint up to UTC days, joining each job to its phase, model and team.
INSERT INTO daily_summary
WITH jobs AS (
    SELECT DISTINCT job_key, phase, model, team
    FROM job_allocations
    WHERE day >= CAST($start AS DATE) AND day < CAST($end AS DATE)
)
SELECT
    CAST(f.hour_utc AS DATE) AS day,
    f.site,
    coalesce(j.phase, 'idle') AS phase,
    coalesce(j.model, '') AS model,
    coalesce(j.team, '') AS team,
    count(DISTINCT f.job_key) AS jobs,
    sum(f.gpu_hours ORDER BY f.hour_utc, f.job_key) AS gpu_hours,
    sum(f.gpu_energy_kwh ORDER BY f.hour_utc, f.job_key) AS gpu_energy_kwh,
    sum(f.host_energy_kwh ORDER BY f.hour_utc, f.job_key) AS host_energy_kwh,
    sum(f.host_measured_kwh ORDER BY f.hour_utc, f.job_key) AS host_measured_kwh,
    sum(f.it_energy_kwh ORDER BY f.hour_utc, f.job_key) AS it_energy_kwh,
    sum(f.measured_kwh ORDER BY f.hour_utc, f.job_key) AS measured_kwh,
    sum(f.scheduler_estimated_kwh ORDER BY f.hour_utc, f.job_key) AS scheduler_estimated_kwh,
    sum(f.facility_energy_kwh ORDER BY f.hour_utc, f.job_key) AS facility_energy_kwh,
    coalesce(sum(f.facility_energy_kwh ORDER BY f.hour_utc, f.job_key)
        FILTER (WHERE f.intensity_source <> 'hourly'), 0.0) AS fallback_facility_kwh,
    sum(f.co2e_kg_location ORDER BY f.hour_utc, f.job_key) AS co2e_kg_location,
    coalesce(sum(f.co2e_kg_location ORDER BY f.hour_utc, f.job_key)
        FILTER (WHERE f.intensity_source <> 'hourly'), 0.0) AS co2e_kg_location_fallback,
    sum(f.instrument_kwh ORDER BY f.hour_utc, f.job_key) AS instrument_kwh,
    sum(f.co2e_kg_market ORDER BY f.hour_utc, f.job_key) AS co2e_kg_market,
    sum(f.co2e_kg_market_residual ORDER BY f.hour_utc, f.job_key) AS co2e_kg_market_residual,
    coalesce(sum(f.co2e_kg_market ORDER BY f.hour_utc, f.job_key)
        FILTER (WHERE f.intensity_source <> 'hourly'), 0.0) AS co2e_kg_market_fallback,
    sum(f.cfe_kwh ORDER BY f.hour_utc, f.job_key) AS cfe_kwh,
    sum(f.water_onsite_l ORDER BY f.hour_utc, f.job_key) AS water_onsite_l,
    sum(f.water_offsite_l ORDER BY f.hour_utc, f.job_key) AS water_offsite_l,
    sum(f.water_l ORDER BY f.hour_utc, f.job_key) AS water_l,
    sum(f.embodied_gpu_kg ORDER BY f.hour_utc, f.job_key) AS embodied_gpu_kg,
    sum(f.embodied_server_kg ORDER BY f.hour_utc, f.job_key) AS embodied_server_kg,
    sum(f.embodied_kg ORDER BY f.hour_utc, f.job_key) AS embodied_kg
FROM footprint_hourly AS f
LEFT JOIN jobs AS j USING (job_key)
WHERE f.hour_utc >= $start AND f.hour_utc < $end
GROUP BY ALL;
