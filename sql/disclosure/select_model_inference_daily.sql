-- Facility energy of each model's inference jobs per UTC day in days [$start_day, $end_day].
SELECT model, day, sum(facility_energy_kwh) AS inference_kwh
FROM daily_summary
WHERE day BETWEEN $start_day AND $end_day AND phase = 'inference' AND model <> ''
GROUP BY model, day
ORDER BY model, day;
