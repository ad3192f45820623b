-- First and last UTC day with fleet energy of any model in $models. Grain: one row.
SELECT min(day) AS first_day, max(day) AS last_day
FROM daily_summary
WHERE list_contains($models, model);
