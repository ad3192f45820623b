-- The fleet jobs of the models in $models on days [$start_day, $end_day], with their footprint
-- over those days. Grain: job_key (a failed run and its restart are two jobs). Energy in kWh
-- (facility = IT × PUE), carbon in kg CO2e (market-based before annual instruments), water in L.
WITH jobs AS (
    SELECT job_key,
           any_value(job_name ORDER BY day) AS job_name,
           any_value(state ORDER BY day) AS state,
           any_value(phase ORDER BY day) AS phase,
           any_value(model ORDER BY day) AS model,
           min(start_utc) AS start_utc,
           max(end_utc) AS end_utc
    FROM job_allocations
    WHERE day BETWEEN $start_day AND $end_day AND list_contains($models, model)
    GROUP BY job_key
)
SELECT j.job_key, j.job_name, j.state, j.phase, j.model, j.start_utc, j.end_utc,
       sum(f.gpu_hours ORDER BY f.hour_utc, f.site) AS gpu_hours,
       sum(f.gpu_energy_kwh ORDER BY f.hour_utc, f.site) AS gpu_energy_kwh,
       sum(f.measured_kwh ORDER BY f.hour_utc, f.site) AS measured_kwh,
       sum(f.it_energy_kwh ORDER BY f.hour_utc, f.site) AS it_energy_kwh,
       sum(f.facility_energy_kwh ORDER BY f.hour_utc, f.site) AS energy_kwh,
       sum(f.co2e_kg_location ORDER BY f.hour_utc, f.site) AS co2e_kg_location,
       sum(f.co2e_kg_market ORDER BY f.hour_utc, f.site) AS co2e_kg_market,
       sum(f.water_l ORDER BY f.hour_utc, f.site) AS water_l,
       sum(f.embodied_kg ORDER BY f.hour_utc, f.site) AS embodied_kg
FROM jobs AS j
JOIN footprint_hourly AS f ON f.job_key = j.job_key
WHERE CAST(f.hour_utc AS DATE) BETWEEN $start_day AND $end_day
GROUP BY ALL
ORDER BY j.start_utc, j.job_key;
