-- The inference footprint of the models in $models per UTC day in [$start_day, $end_day]
-- (fleet jobs, own boundary). Grain: model × day. Units as in daily_summary.
SELECT model, day,
       sum(gpu_hours ORDER BY site, team) AS gpu_hours,
       sum(it_energy_kwh ORDER BY site, team) AS it_energy_kwh,
       sum(facility_energy_kwh ORDER BY site, team) AS energy_kwh,
       sum(co2e_kg_location ORDER BY site, team) AS co2e_kg_location,
       sum(co2e_kg_market ORDER BY site, team) AS co2e_kg_market,
       sum(water_l ORDER BY site, team) AS water_l,
       sum(embodied_kg ORDER BY site, team) AS embodied_kg
FROM daily_summary
WHERE day BETWEEN $start_day AND $end_day AND phase = 'inference' AND list_contains($models, model)
GROUP BY model, day
ORDER BY model, day;
