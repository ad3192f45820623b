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
    sum(f.gpu_hours) AS gpu_hours,
    sum(f.it_energy_kwh) AS it_energy_kwh,
    sum(f.measured_kwh) AS measured_kwh,
    sum(f.facility_energy_kwh) AS facility_energy_kwh,
    sum(f.co2e_kg_location) AS co2e_kg_location,
    sum(f.co2e_kg_market) AS co2e_kg_market,
    sum(f.water_l) AS water_l,
    sum(f.embodied_kg) AS embodied_kg
FROM footprint_hourly AS f
LEFT JOIN jobs AS j USING (job_key)
WHERE f.hour_utc >= $start AND f.hour_utc < $end
GROUP BY ALL;
