-- UTC days one landing file's billing lines change: cost_attributed puts a line on the UTC day
-- of its charge_period_start (its share is computed over the whole charge period from
-- allocations, which billing does not change).
SELECT DISTINCT CAST(charge_period_start AS DATE) AS day
FROM raw_billing
WHERE source_path = $source_path AND charge_period_start IS NOT NULL
ORDER BY day;
