-- Attributed cost of days in [$start, $end) per billing currency and basis (gpu_share, idle,
-- tagged, unattributed): billing lines touched, jobs, and costs in the line's currency (never
-- added across currencies).
SELECT
    billing_currency,
    basis,
    count(DISTINCT (source_path, line)) AS billing_lines,
    count(DISTINCT job_key) AS jobs,
    sum(effective_cost ORDER BY day, source_path, line, job_key) AS effective_cost,
    sum(billed_cost ORDER BY day, source_path, line, job_key) AS billed_cost
FROM cost_attributed
WHERE day >= CAST($start AS DATE) AND day < CAST($end AS DATE)
GROUP BY billing_currency, basis
ORDER BY billing_currency NULLS FIRST, basis;
