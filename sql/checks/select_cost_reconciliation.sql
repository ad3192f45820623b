-- Billing lines whose charge_period_start is in [$start, $end) against their cost_attributed rows,
-- per billing currency (costs are never converted, so currencies are never added together).
-- Returns the lines, the currencies, how many lines have no attributed row at all, and the largest
-- absolute difference of any currency's total (in that currency), effective and billed.
WITH billed AS (
    SELECT
        coalesce(billing_currency, '') AS currency,
        count(*) AS lines,
        sum(effective_cost ORDER BY source_path, line) AS effective_cost,
        sum(billed_cost ORDER BY source_path, line) AS billed_cost
    FROM raw_billing
    WHERE charge_period_start >= $start AND charge_period_start < $end
    GROUP BY currency
),
attributed AS (
    SELECT
        coalesce(billing_currency, '') AS currency,
        sum(effective_cost ORDER BY source_path, line, job_key) AS effective_cost,
        sum(billed_cost ORDER BY source_path, line, job_key) AS billed_cost
    FROM cost_attributed
    WHERE day >= CAST($start AS DATE) AND day < CAST($end AS DATE)
    GROUP BY currency
),
missing AS (
    SELECT count(*) AS lines_missing
    FROM raw_billing AS r
    WHERE r.charge_period_start >= $start AND r.charge_period_start < $end
      AND NOT EXISTS (
          SELECT 1 FROM cost_attributed AS c
          WHERE c.source_path = r.source_path AND c.line = r.line
      )
)
SELECT
    coalesce(sum(b.lines), 0) AS lines,
    count(*) AS currencies,
    (SELECT lines_missing FROM missing) AS lines_missing,
    coalesce(max(abs(coalesce(b.effective_cost, 0.0) - coalesce(a.effective_cost, 0.0))), 0.0)
        AS worst_abs_diff_effective_cost,
    coalesce(max(abs(coalesce(b.billed_cost, 0.0) - coalesce(a.billed_cost, 0.0))), 0.0)
        AS worst_abs_diff_billed_cost
FROM billed AS b
FULL OUTER JOIN attributed AS a USING (currency);
