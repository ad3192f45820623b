-- Footprint by phase for days [$start_day, $end_day] (inclusive), idle included.
SELECT phase,
       sum(facility_energy_kwh) AS energy_kwh, sum(it_energy_kwh) AS it_energy_kwh,
       sum(gpu_hours) AS gpu_hours, sum(co2e_kg_location) AS co2e_kg_location,
       sum(co2e_kg_market) AS co2e_kg_market, sum(water_l) AS water_l,
       sum(embodied_kg) AS embodied_kg, sum(measured_kwh) AS measured_kwh
FROM daily_summary
WHERE day BETWEEN $start_day AND $end_day
GROUP BY phase
ORDER BY phase;
