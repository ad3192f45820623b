-- USD cost attributed to the jobs of the models in $models, billing lines charged on days
-- [$start_day, $end_day] (amortised, FOCUS EffectiveCost). Grain: job_key.
SELECT job_key, sum(effective_cost ORDER BY day, source_path, line) AS cost_usd
FROM cost_attributed
WHERE day BETWEEN $start_day AND $end_day AND list_contains($models, model)
  AND job_key IS NOT NULL AND billing_currency = 'USD'
GROUP BY job_key
ORDER BY job_key;
