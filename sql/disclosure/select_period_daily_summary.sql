-- Every daily_summary row of days [$start_day, $end_day], in a fixed order.
SELECT *
FROM daily_summary
WHERE day BETWEEN $start_day AND $end_day
ORDER BY day, site, phase, model, team;
