-- Footprint by model × phase for days [$start_day, $end_day]; jobs without a model excluded.
SELECT model, phase,
       sum(gpu_hours) AS gpu_hours, sum(facility_energy_kwh) AS energy_kwh,
       sum(co2e_kg_location) AS co2e_kg_location, sum(co2e_kg_market) AS co2e_kg_market
FROM daily_summary
WHERE day BETWEEN $start_day AND $end_day AND model <> ''
GROUP BY model, phase
ORDER BY model, phase;
