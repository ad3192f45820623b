SELECT coalesce(sum(facility_energy_kwh), 0.0)
FROM daily_summary
WHERE day >= CAST($start AS DATE) AND day < CAST($end AS DATE);
