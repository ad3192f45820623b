-- Attributed cost of billing lines charged on days [$start_day, $end_day] (inclusive), by basis,
-- phase, model, team and currency; costs in billing_currency, never added across currencies.
SELECT
    basis, phase, model, team, billing_currency,
    sum(effective_cost ORDER BY day, source_path, line, job_key) AS effective_cost,
    sum(billed_cost ORDER BY day, source_path, line, job_key) AS billed_cost
FROM cost_attributed
WHERE day BETWEEN $start_day AND $end_day
GROUP BY basis, phase, model, team, billing_currency
ORDER BY billing_currency NULLS FIRST, basis, phase NULLS FIRST, model NULLS FIRST,
    team NULLS FIRST;
