-- The daily summary of days in [$start, $end) per phase (idle included), largest facility energy
-- first: jobs, GPU-hours, energy (kWh) with its measured, scheduler-estimated and fallback-priced
-- parts, and carbon (kg CO2e). Jobs are summed over days and sites (a job spanning two days counts
-- on each).
SELECT
    phase,
    CAST(sum(jobs) AS BIGINT) AS job_days,
    sum(gpu_hours ORDER BY day, site, model, team) AS gpu_hours,
    sum(gpu_energy_kwh ORDER BY day, site, model, team) AS gpu_energy_kwh,
    sum(measured_kwh ORDER BY day, site, model, team) AS measured_kwh,
    sum(scheduler_estimated_kwh ORDER BY day, site, model, team) AS scheduler_estimated_kwh,
    sum(facility_energy_kwh ORDER BY day, site, model, team) AS facility_energy_kwh,
    sum(fallback_facility_kwh ORDER BY day, site, model, team) AS fallback_facility_kwh,
    sum(co2e_kg_location ORDER BY day, site, model, team) AS co2e_kg_location,
    sum(co2e_kg_market ORDER BY day, site, model, team) AS co2e_kg_market
FROM daily_summary
WHERE day >= CAST($start AS DATE) AND day < CAST($end AS DATE)
GROUP BY phase
ORDER BY facility_energy_kwh DESC, phase;
