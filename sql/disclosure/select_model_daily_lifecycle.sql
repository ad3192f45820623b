-- Per model and day up to $end_day: facility energy of training (+ fine-tuning) and inference.
SELECT model, day,
       sum(facility_energy_kwh) FILTER (WHERE phase IN ('training', 'fine_tuning')) AS training_kwh,
       sum(facility_energy_kwh) FILTER (WHERE phase = 'inference') AS inference_kwh
FROM daily_summary
WHERE day <= $end_day AND model <> ''
GROUP BY model, day
ORDER BY model, day;
