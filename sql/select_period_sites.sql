-- Per site for days [$start_day, $end_day]: energy, carbon and the energy-weighted intensity & PUE.
SELECT d.site, s.grid_zone,
       sum(d.gpu_hours) AS gpu_hours,
       sum(d.facility_energy_kwh) AS energy_kwh,
       sum(d.co2e_kg_location) AS co2e_kg_location,
       sum(d.facility_energy_kwh) / nullif(sum(d.it_energy_kwh), 0) AS pue,
       1000.0 * sum(d.co2e_kg_location) / nullif(sum(d.facility_energy_kwh), 0) AS mean_gco2e_per_kwh
FROM daily_summary AS d
JOIN sites AS s USING (site)
WHERE d.day BETWEEN $start_day AND $end_day
GROUP BY d.site, s.grid_zone
ORDER BY d.site;
