-- Footprint of hours in [$start, $end) per UTC day and site: energy (kWh), carbon (kg CO2e),
-- water (L), and the site-hours priced with a fallback grid intensity instead of hourly data.
SELECT
    CAST(hour_utc AS DATE) AS day,
    site,
    sum(gpu_energy_kwh ORDER BY hour_utc, job_key) AS gpu_energy_kwh,
    sum(it_energy_kwh ORDER BY hour_utc, job_key) AS it_energy_kwh,
    sum(facility_energy_kwh ORDER BY hour_utc, job_key) AS facility_energy_kwh,
    sum(co2e_kg_location ORDER BY hour_utc, job_key) AS co2e_kg_location,
    sum(co2e_kg_market ORDER BY hour_utc, job_key) AS co2e_kg_market,
    sum(water_l ORDER BY hour_utc, job_key) AS water_l,
    count(DISTINCT hour_utc) FILTER (WHERE intensity_source <> 'hourly') AS grid_fallback_hours
FROM footprint_hourly
WHERE hour_utc >= $start AND hour_utc < $end
GROUP BY day, site
ORDER BY day, site;
