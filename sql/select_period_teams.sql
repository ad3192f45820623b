-- Per team for days [$start_day, $end_day]; jobs without a team are grouped as ''.
SELECT team, sum(gpu_hours) AS gpu_hours, sum(facility_energy_kwh) AS energy_kwh,
       sum(co2e_kg_location) AS co2e_kg_location
FROM daily_summary
WHERE day BETWEEN $start_day AND $end_day AND phase <> 'idle'
GROUP BY team
ORDER BY energy_kwh DESC;
