-- USD cost attributed to the inference of the models in $models, billing lines charged on days
-- [$start_day, $end_day] (amortised, FOCUS EffectiveCost; tagged lines included). Grain: model.
SELECT model, sum(effective_cost ORDER BY day, source_path, line, job_key) AS cost_usd
FROM cost_attributed
WHERE day BETWEEN $start_day AND $end_day AND list_contains($models, model)
  AND phase = 'inference' AND billing_currency = 'USD'
GROUP BY model
ORDER BY model;
