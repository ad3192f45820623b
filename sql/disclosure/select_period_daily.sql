-- Daily facility energy by phase for days [$start_day, $end_day].
SELECT day, phase, sum(facility_energy_kwh) AS energy_kwh
FROM daily_summary
WHERE day BETWEEN $start_day AND $end_day
GROUP BY day, phase
ORDER BY day, phase;
