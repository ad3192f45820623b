-- The attributed cost rows of the FOCUS export: cost_attributed for lines charged on days
-- [$start_day, $end_day]. Grain: billing line (source_path, line) × job_key, job_key NULL for the
-- line's idle remainder, a tagged line or an unattributed one (as cost_attributed). share is the
-- fraction (0-1) of the line the row carries; costs in the line's billing_currency.
SELECT source_path, line, job_key, basis, host, phase, model, team, share, effective_cost,
    billed_cost
FROM cost_attributed
WHERE day BETWEEN $start_day AND $end_day
ORDER BY source_path, line, job_key NULLS FIRST;
